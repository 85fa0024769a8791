"""One sync run of one connector: ask the HRIS what changed since the cursor, apply each person to the
directory (managers first, one transaction per person, so one bad record never undoes the others),
record the run, and move the cursor when every record went in.

A job, not a request: it opens its own transactions. Idempotent: the directory writes a version and
emits events only for a real change, so a second run over the same data changes nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import httpx
import structlog
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tandem_gateway.connections.service import NeedsReauth, NotConnected, ProviderUnavailable
from tandem_gateway.directory.schemas import PersonRecord
from tandem_gateway.directory.service import (
    ExternalIdTaken,
    InvalidAttribute,
    PersonErased,
    UserNameTaken,
    apply_person,
    find_person,
)
from tandem_gateway.integrations.hris import repository
from tandem_gateway.integrations.hris.connection import ConnectionTokens, oauth_config
from tandem_gateway.integrations.hris.domain import (
    BAMBOOHR_FIELDS,
    UnreadableRecord,
    Worker,
    from_bamboohr,
    from_workday,
    managers_first,
    new_cursor_allowed,
    run_status,
)
from tandem_gateway.integrations.hris.vendor import (
    VendorError,
    bamboohr_changed,
    bamboohr_employee,
    endpoints,
    workday_pages,
)
from tandem_gateway.integrations.oauth import OAuthApiClient
from tandem_gateway.models import HrisConnector, HrisSyncFailure, HrisSyncRun
from tandem_gateway.settings import Settings
from tandem_kit.errors import Conflict

log = structlog.get_logger("tandem.gateway.hris")

# The directory attributes each vendor states; the others (timezone, and what a vendor lacks) are left alone.
MAPPED = {
    "workday": (
        "given_name",
        "family_name",
        "display_name",
        "email",
        "employee_number",
        "title",
        "level",
        "department",
        "cost_center",
        "location",
        "hire_date",
    ),
    "bamboohr": (
        "given_name",
        "family_name",
        "display_name",
        "email",
        "employee_number",
        "title",
        "level",
        "department",
        "division",
        "location",
        "hire_date",
    ),
}

Sleep = Callable[[float], Awaitable[None]]


class SyncInProgress(Conflict):
    code, title = "sync-in-progress", "A sync of this connector is running"


class RecordRefused(Exception):
    """One record the directory cannot take: a reason code and the attribute at fault."""

    def __init__(self, reason: str, attribute: str | None = None) -> None:
        super().__init__(reason)
        self.reason, self.attribute = reason, attribute


@dataclass
class Outcome:
    changed: int = 0
    unchanged: int = 0
    failures: list[tuple[str, str, str | None]] = field(
        default_factory=list
    )  # external id, reason, attribute


@dataclass(frozen=True)
class Fetched:
    workers: list[Worker]
    through: datetime
    failures: list[tuple[str, str, str | None]]


class Unset:
    """A manager the directory cannot be given now: the stored manager is left as it is."""


def _record(worker: Worker, *, vendor: str, user_name: str, manager_id: UUID | None | Unset) -> PersonRecord:
    if worker.gone:
        return PersonRecord(user_name=user_name, active=False)
    values: dict[str, Any] = {name: getattr(worker, name) for name in MAPPED[vendor]}
    values.update(user_name=user_name, external_id=worker.external_id, active=worker.active)
    if not isinstance(manager_id, Unset):
        values["manager_id"] = manager_id
    try:
        return PersonRecord(**values)
    except ValidationError as exc:
        first = exc.errors()[0]["loc"]
        raise RecordRefused("invalid_value", str(first[0]) if first else None) from exc


@dataclass(frozen=True)
class Applied:
    changed: bool | None  # None: nothing to apply (deleted and never known, or a person erased)
    # Applied without the manager (unknown, or in a loop): the record still counts as failed, so the
    # cursor stays and the next run sets the manager once it can.
    manager_problem: str | None = None


async def apply_worker(
    session: AsyncSession, worker: Worker, *, vendor: str, actor: str, manager_in_loop: bool = False
) -> Applied:
    """Apply one worker to the directory. A worker whose manager cannot be set is still applied (a
    termination must not wait for a manager record), without touching the stored manager."""
    person = await find_person(session, external_id=worker.external_id)
    if person is None and worker.email:
        # Someone SCIM or the API created first, without the HRIS's id: the HRIS adopts them.
        person = await find_person(session, email=worker.email)
        if person is not None and person.external_id not in (None, worker.external_id):
            raise RecordRefused("email_taken", "email")
    if person is None and worker.gone:
        return Applied(None)
    manager_id: UUID | None | Unset = None
    problem = "manager_cycle" if manager_in_loop else None
    if manager_in_loop:
        manager_id = Unset()
    elif worker.manager_external_id is not None:
        manager = await find_person(session, external_id=worker.manager_external_id)
        if manager is None:
            manager_id, problem = Unset(), "unknown_manager"
        else:
            manager_id = manager.id
    user_name = person.user_name if person is not None else worker.user_name
    if user_name is None:
        raise RecordRefused("unreadable", "user_name")
    record = _record(worker, vendor=vendor, user_name=user_name, manager_id=manager_id)
    try:
        result = await apply_person(
            session, record, person_id=person.id if person else None, source=vendor, actor=actor
        )
    except InvalidAttribute as exc:
        raise RecordRefused("invalid_value", exc.attribute) from exc
    except UserNameTaken as exc:
        raise RecordRefused("user_name_taken", "user_name") from exc
    except ExternalIdTaken as exc:
        raise RecordRefused("external_id_taken", "external_id") from exc
    except PersonErased:
        # Erased at their request: never provisioned again, and no failure that would hold the cursor.
        return Applied(None)
    return Applied(not result.unchanged, problem)


async def _fetch_workday(api: OAuthApiClient, *, since: datetime | None, page_size: int) -> Fetched:
    through = datetime.now(UTC)
    workers: list[Worker] = []
    failures: list[tuple[str, str, str | None]] = []
    async for page in workday_pages(api, since=since, through=through, page_size=page_size):
        for item in page:
            try:
                workers.append(from_workday(item))
            except UnreadableRecord as exc:
                failures.append((str(item.get("id") or "?"), "unreadable", str(exc)))
    return Fetched(workers, through, failures)


async def _fetch_bamboohr(api: OAuthApiClient, *, since: datetime | None, level_field: str) -> Fetched:
    changes = await bamboohr_changed(api, since=since)
    fields = (*BAMBOOHR_FIELDS, level_field)
    workers: list[Worker] = []
    failures: list[tuple[str, str, str | None]] = []
    for employee_id, action in sorted(changes.actions.items()):
        gone = Worker(external_id=employee_id, manager_external_id=None, active=False, gone=True)
        if action == "Deleted":
            workers.append(gone)
            continue
        try:
            data = await bamboohr_employee(api, employee_id, fields)
        except VendorError as exc:
            if exc.status == 401:
                raise  # the grant is bad, not this record
            failures.append((employee_id, exc.code, None))
            continue
        if data is None:
            workers.append(gone)
            continue
        try:
            workers.append(from_bamboohr(data, level_field=level_field))
        except UnreadableRecord as exc:
            failures.append((employee_id, "unreadable", str(exc)))
    return Fetched(workers, changes.latest, failures)


async def _apply_all(
    sessionmaker: async_sessionmaker[AsyncSession], workers: Sequence[Worker], *, vendor: str, actor: str
) -> Outcome:
    outcome = Outcome()
    ordered = managers_first(workers)
    in_loop = {w.external_id for w in ordered.cyclic}
    for worker in [*ordered.workers, *ordered.cyclic]:
        try:
            async with sessionmaker() as session, session.begin():
                applied = await apply_worker(
                    session, worker, vendor=vendor, actor=actor, manager_in_loop=worker.external_id in in_loop
                )
        except RecordRefused as exc:
            outcome.failures.append((worker.external_id, exc.reason, exc.attribute))
            continue
        if applied.manager_problem is not None:
            outcome.failures.append((worker.external_id, applied.manager_problem, "manager_id"))
        if applied.changed:
            outcome.changed += 1
        elif applied.changed is False:
            outcome.unchanged += 1
    return outcome


async def run_sync(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    connector_id: UUID,
    *,
    trigger: str,
    full: bool = False,
    sleep: Sleep = asyncio.sleep,
) -> HrisSyncRun:
    """Sync one connector now (incremental from its cursor; `full`: everyone). Raises `SyncInProgress`
    when another run holds the connector; every other failure ends as the run's status and error."""
    async with sessionmaker() as lock_session:
        if not await repository.try_lock(lock_session, connector_id):
            raise SyncInProgress(f"connector {connector_id} is being synced")
        try:
            return await _locked_run(
                sessionmaker, settings, connector_id, trigger=trigger, full=full, sleep=sleep
            )
        finally:
            await repository.unlock(lock_session, connector_id)
            await lock_session.commit()


async def _locked_run(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    connector_id: UUID,
    *,
    trigger: str,
    full: bool,
    sleep: Sleep,
) -> HrisSyncRun:
    now = datetime.now(UTC)
    async with sessionmaker() as session, session.begin():
        connector = await repository.get_connector(session, connector_id)
        if connector is None:
            raise LookupError(connector_id)
        await repository.end_interrupted(session, connector_id, now)
        since = None if full else await repository.get_cursor(session, connector_id)
        run = HrisSyncRun(
            connector_id=connector_id, trigger=trigger, status="running", changed_since=since, started_at=now
        )
        session.add(run)
        await session.flush()
        run_id = run.id
        session.expunge(connector)

    fetched: Fetched | None = None
    outcome = Outcome()
    error: str | None = None
    try:
        fetched = await _fetch(sessionmaker, settings, connector, since=since, sleep=sleep)
        outcome = await _apply_all(
            sessionmaker, fetched.workers, vendor=connector.vendor, actor=f"hris:{connector.name}"
        )
        outcome.failures[:0] = fetched.failures
    except NeedsReauth:
        error = "needs_reauth"
    except NotConnected:
        error = "not_connected"
    except ProviderUnavailable:
        error = "token_endpoint_unavailable"
    except VendorError as exc:
        error = exc.code
    except httpx.HTTPError:
        error = "hris_unreachable"
    except (ValueError, KeyError, TypeError):
        error = "hris_bad_response"  # an answer not shaped like the vendor's API
    except Exception as exc:
        # Recorded on the run rather than left `running`; the type only: a message may carry data.
        log.warning(
            "gateway.hris.sync_crashed", connector_id=str(connector_id), error_type=type(exc).__name__
        )
        error = "internal_error"

    status = run_status(failed_records=len(outcome.failures), error=error)
    async with sessionmaker() as session, session.begin():
        ending = await session.get(HrisSyncRun, run_id, with_for_update=True)
        assert ending is not None
        run = ending
        run.status = status
        run.error = error
        run.changed_through = fetched.through if fetched else None
        run.records_seen = len(fetched.workers) + len(fetched.failures) if fetched else 0
        run.records_changed, run.records_unchanged = outcome.changed, outcome.unchanged
        run.records_failed = len(outcome.failures)
        run.finished_at = datetime.now(UTC)
        session.add_all(
            HrisSyncFailure(run_id=run_id, external_id=external_id[:200], reason=reason, attribute=attribute)
            for external_id, reason, attribute in outcome.failures
        )
        if fetched is not None and new_cursor_allowed(status):
            await repository.set_cursor(session, connector_id, fetched.through)
    log.info(
        "gateway.hris.sync_finished",
        connector_id=str(connector_id),
        run_id=str(run_id),
        status=status,
        error=error,
        changed=outcome.changed,
        unchanged=outcome.unchanged,
        failed=len(outcome.failures),
    )
    async with sessionmaker() as session:
        finished = await session.get(HrisSyncRun, run_id)
        assert finished is not None
        return finished


async def _fetch(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    connector: HrisConnector,
    *,
    since: datetime | None,
    sleep: Sleep,
) -> Fetched:
    if connector.connection_id is None:
        raise NotConnected("the connector was never authorized")
    oauth = oauth_config(settings, connector)
    where = endpoints(
        connector.vendor,  # type: ignore[arg-type]
        tenant=connector.tenant,
        api_base_url=connector.api_base_url,
        auth_base_url=connector.auth_base_url,
    )
    api = OAuthApiClient(
        where.api_root,
        ConnectionTokens(sessionmaker, connector.connection_id, oauth),
        timeout=httpx.Timeout(settings.hris.http_timeout_seconds, connect=5.0),
        attempts=settings.hris.retry_attempts,
        max_wait=settings.hris.max_retry_wait_seconds,
        sleep=sleep,
    )
    try:
        if connector.vendor == "workday":
            return await _fetch_workday(api, since=since, page_size=settings.hris.page_size)
        return await _fetch_bamboohr(
            api, since=since, level_field=connector.level_field or settings.hris.default_level_field
        )
    finally:
        await api.aclose()
