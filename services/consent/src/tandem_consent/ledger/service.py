from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from tandem_consent.access import PersonNotFound, require_visible, sees_person
from tandem_consent.events import ConsentGranted, ConsentWithdrawn
from tandem_consent.inventory import service as inventory
from tandem_consent.ledger import domain, repository, schemas
from tandem_consent.ledger.domain import Action, Method, Permission, Snapshot, TimeProblem
from tandem_consent.ledger.schemas import CheckRequest, CheckResult, ConsentGrant, ConsentWithdrawal
from tandem_consent.models import ConsentRecord, ConsentState, Purpose
from tandem_consent.purpose import service as purposes
from tandem_kit.auth import Principal
from tandem_kit.errors import Conflict, Forbidden, Unprocessable
from tandem_kit.events import emit
from tandem_kit.pagination import PageParams


class GrantOnBehalfForbidden(Forbidden):
    code, title = "grant-on-behalf-forbidden", "Only the person can grant consent"


class NoticeOutdated(Conflict):
    code, title = "notice-outdated", "The notice has changed"


class NoticeVersionUnknown(Unprocessable):
    """The purpose has no notice with this version."""

    code, title = "notice-version-unknown", "No such notice version"


class FieldNotInNotice(Unprocessable):
    """A data field granted is not documented by the notice version the person saw."""

    code, title = "field-not-in-notice", "Field not documented by the notice"


class InvalidDecisionTime(Unprocessable):
    """`occurred_at` has no time zone, is in the future, or is before the notice was published."""

    code, title = "invalid-decision-time", "Invalid decision time"


class DecisionOutOfOrder(Conflict):
    code, title = "decision-out-of-order", "A newer decision is on record"


class UnknownPurpose(Unprocessable):
    """No purpose has this key."""

    code, title = "unknown-purpose", "Unknown purpose"


@dataclass(frozen=True)
class Decision:
    """A decision to record, already checked against the notice."""

    action: Action
    occurred_at: datetime | None
    method: Method
    notice_version: int | None = None
    notice_published_at: datetime | None = None
    fields: tuple[str, ...] = ()
    reason: str | None = None
    evidence_reference: str | None = None
    evidence: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PersonConsent:
    """A person's standing for one purpose; `state` is None when they were never asked."""

    person_id: UUID
    purpose: Purpose
    state: ConsentState | None

    @property
    def snapshot(self) -> Snapshot:
        if self.state is None:
            return domain.NEVER_ASKED
        return Snapshot(self.state.granted, self.state.notice_version, tuple(self.state.fields))


async def consents_of(
    session: AsyncSession, principal: Principal, person_ids: Sequence[UUID]
) -> dict[UUID, list[PersonConsent]]:
    """Every purpose's standing for each visible person; people the caller may not see get none."""
    all_purposes = await purposes.list_purposes(session)
    states = {
        (s.person_id, s.purpose_id): s for s in await repository.states_of(session, principal, person_ids)
    }
    return {
        person_id: [PersonConsent(person_id, p, states.get((person_id, p.id))) for p in all_purposes]
        if sees_person(principal, person_id)
        else []
        for person_id in person_ids
    }


async def person_consents(
    session: AsyncSession, principal: Principal, person_id: UUID
) -> list[PersonConsent]:
    require_visible(principal, person_id)
    return (await consents_of(session, principal, [person_id]))[person_id]


async def person_consent(
    session: AsyncSession, principal: Principal, person_id: UUID, key: str
) -> PersonConsent:
    require_visible(principal, person_id)
    purpose = await purposes.get_purpose(session, key)
    states = await repository.states_for_purpose(session, principal, purpose.id, [person_id])
    return PersonConsent(person_id, purpose, states[0] if states else None)


async def records(
    session: AsyncSession,
    principal: Principal,
    person_id: UUID,
    *,
    purpose: str | None,
    page: PageParams,
) -> tuple[Sequence[ConsentRecord], int]:
    require_visible(principal, person_id)
    purpose_id = (await purposes.get_purpose(session, purpose)).id if purpose else None
    return await repository.page_records(session, principal, person_id, purpose_id=purpose_id, page=page)


async def grant(
    session: AsyncSession, principal: Principal, person_id: UUID, key: str, data: ConsentGrant
) -> tuple[PersonConsent, bool]:
    """Record a grant; `False` with the standing unchanged when the same grant is already on record."""
    _check_permission(principal, person_id, Action.GRANTED)
    purpose = await purposes.get_purpose(session, key)
    notice = purpose.current_notice
    if data.notice_version > notice.version:
        raise NoticeVersionUnknown(
            f"Purpose {key!r} has no notice version {data.notice_version}.", pointer="#/notice_version"
        )
    if data.notice_version < notice.version:
        raise NoticeOutdated(
            f"The notice for {key!r} is at version {notice.version}; show it and ask again.",
            pointer="#/notice_version",
            current_notice_version=notice.version,
        )
    confidential = await inventory.confidential_keys(session, notice.fields)
    fields = domain.granted_fields(notice.fields, confidential, data.fields)
    if isinstance(fields, domain.FieldNotInNotice):
        raise FieldNotInNotice(
            f"{fields.key!r} is not documented by notice version {notice.version} of {key!r}.",
            pointer=f"#/fields/{fields.index}",
        )
    decision = Decision(
        Action.GRANTED,
        data.occurred_at,
        Method(data.method),
        notice_version=notice.version,
        notice_published_at=notice.published_at,
        fields=fields,
        evidence_reference=data.evidence_reference,
        evidence=data.evidence,
    )
    return await _decide(session, principal, person_id, purpose, decision)


async def withdraw(
    session: AsyncSession, principal: Principal, person_id: UUID, key: str, data: ConsentWithdrawal
) -> tuple[PersonConsent, bool]:
    """Record a withdrawal; `False` when the purpose was not granted (nothing to withdraw)."""
    _check_permission(principal, person_id, Action.WITHDRAWN)
    purpose = await purposes.get_purpose(session, key)
    decision = Decision(
        Action.WITHDRAWN,
        data.occurred_at,
        Method(data.method),
        reason=data.reason,
        evidence_reference=data.evidence_reference,
        evidence=data.evidence,
    )
    return await _decide(session, principal, person_id, purpose, decision)


async def withdraw_everything(
    session: AsyncSession, principal: Principal, person_id: UUID, *, method: Method, reason: str
) -> list[PersonConsent]:
    """Withdraw every purpose the person granted (erasure); returns the purposes withdrawn."""
    withdrawn = []
    for standing in (await consents_of(session, principal, [person_id]))[person_id]:
        if not standing.snapshot.granted:
            continue
        decision = Decision(Action.WITHDRAWN, None, method, reason=reason)
        after, _ = await _decide(session, principal, person_id, standing.purpose, decision)
        withdrawn.append(after)
    return withdrawn


async def export_person(session: AsyncSession, principal: Principal, person_id: UUID) -> dict[str, Any]:
    """Everything this service holds about the person, as JSON (for an access request)."""
    standings = (await consents_of(session, principal, [person_id]))[person_id]
    records = await repository.all_records(session, person_id)
    return {
        "consents": [schemas.ConsentState.of(s).model_dump(mode="json") for s in standings if s.state],
        "records": [schemas.ConsentRecord.model_validate(r).model_dump(mode="json") for r in records],
    }


async def erase_evidence(session: AsyncSession, person_id: UUID) -> int:
    """Scrub the capture details of the person's ledger (an erasure request); returns the records touched."""
    return await repository.scrub_evidence(session, person_id)


def _check_permission(principal: Principal, person_id: UUID, action: Action) -> None:
    own = principal.person_uuid
    # A person token whose person id is not a UUID is nobody, never a capturing system.
    permission = (
        domain.may_record(domain.Actor(own, principal.roles), person_id, action)
        if own is not None or principal.person_id is None
        else Permission.NOT_VISIBLE
    )
    if permission is Permission.NOT_VISIBLE:
        raise PersonNotFound(f"No person {person_id} is visible to this caller.")
    if permission is Permission.FORBIDDEN:
        raise GrantOnBehalfForbidden(
            "Consent is granted by the person, or recorded by the system that captured it; "
            "a program manager may only withdraw it on the person's behalf."
        )


async def _decide(
    session: AsyncSession, principal: Principal, person_id: UUID, purpose: Purpose, decision: Decision
) -> tuple[PersonConsent, bool]:
    state = await repository.lock_state(session, person_id, purpose.id)
    now = datetime.now(UTC)
    when = decision.occurred_at or now
    problem = domain.occurred_at_problem(
        when, now=now, latest_decision=state.latest_decision, notice_published_at=decision.notice_published_at
    )
    if problem is TimeProblem.OUT_OF_ORDER:
        raise DecisionOutOfOrder(
            f"occurred_at {problem.value} ({state.latest_decision:%Y-%m-%dT%H:%M:%S%z}).",
            pointer="#/occurred_at",
        )
    if problem is not None:
        raise InvalidDecisionTime(f"occurred_at {problem.value}.", pointer="#/occurred_at")
    standing = PersonConsent(person_id, purpose, state)
    action = decision.action
    new = domain.after(
        standing.snapshot, action, notice_version=decision.notice_version, fields=decision.fields
    )
    if new is None:
        return standing, False
    state.sequence += 1
    session.add(
        ConsentRecord(
            person_id=person_id,
            purpose_id=purpose.id,
            sequence=state.sequence,
            action=action.value,
            # A withdrawal names the grant it ends, so the ledger reads without replaying it.
            notice_version=new.notice_version if action is Action.GRANTED else state.notice_version,
            fields=list(new.fields),
            method=decision.method.value,
            occurred_at=when,
            # Taken under the row lock (not the transaction's start), so it orders like `sequence`.
            recorded_at=now,
            recorded_by=principal.subject,
            client_id=principal.client_id,
            on_behalf=principal.person_uuid != person_id,
            reason=decision.reason,
            evidence_reference=decision.evidence_reference,
            evidence=decision.evidence,
        )
    )
    state.granted, state.notice_version, state.fields = new.granted, new.notice_version, list(new.fields)
    state.updated_at = now
    if new.granted and new.notice_version is not None:
        state.granted_at = when
        event = ConsentGranted(
            person_id=person_id, purpose=purpose.key, notice_version=new.notice_version, granted_at=when
        )
        await emit(session, event)
    else:
        state.withdrawn_at = when
        await emit(session, ConsentWithdrawn(person_id=person_id, purpose=purpose.key, withdrawn_at=when))
    await session.flush()
    return standing, True


async def check(session: AsyncSession, principal: Principal, data: CheckRequest) -> list[CheckResult]:
    """Whether `purpose` may use each person's data, and which fields: one query for the whole batch."""
    purpose = await purposes.find_purpose(session, data.purpose)
    if purpose is None:
        raise UnknownPurpose(f"No purpose with key {data.purpose!r}.", pointer="#/purpose")
    for index, person_id in enumerate(data.person_ids):
        require_visible(principal, person_id, pointer=f"#/person_ids/{index}")
    rows = await repository.states_for_purpose(session, principal, purpose.id, data.person_ids)
    states = {s.person_id: s for s in rows}
    results = []
    for person_id in data.person_ids:
        snapshot = PersonConsent(person_id, purpose, states.get(person_id)).snapshot
        results.append(
            CheckResult(
                person_id=person_id,
                purpose=purpose.key,
                granted=snapshot.granted,
                notice_version=snapshot.notice_version,
                fields=list(domain.usable_fields(snapshot, purpose.fields)),
            )
        )
    return results
