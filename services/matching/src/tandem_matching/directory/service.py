"""The directory projection: HR facts per person, upserted from the gateway's events.

Each fact group has its own clock (the event's own time): an event older than what the row already
holds changes nothing, so a replay or a late delivery is harmless.
"""

from collections.abc import Collection
from datetime import datetime
from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_matching import models
from tandem_matching.directory import repository
from tandem_matching.directory.domain import CHAIN_DEPTH, Facts, OrgView
from tandem_matching.directory.schemas import ActiveLeaders, JobFacts, PersonJobChanged, PersonProvisioned

log = structlog.get_logger("tandem.matching.directory")


def _set_job(row: models.DirectoryPerson, facts: JobFacts | PersonProvisioned, at: datetime) -> None:
    row.level, row.level_rank = facts.level, facts.level_rank
    row.department, row.manager_id = facts.department, facts.manager_id
    row.job_at = at


async def provisioned(session: AsyncSession, data: PersonProvisioned) -> bool:
    """Apply a `PersonProvisioned`; True when it changed anything."""
    row = await repository.lock(session, data.person_id)
    changed = False
    if data.occurred_at > row.job_at:
        _set_job(row, data, data.occurred_at)
        changed = True
    if data.hire_date is not None and row.hire_date != data.hire_date:
        row.hire_date = data.hire_date
        changed = True
    if data.occurred_at > row.status_at:
        row.active, row.status_at = data.active, data.occurred_at
        changed = True
    await session.flush()
    log.info("matching.directory.provisioned", person_id=str(data.person_id), applied=changed)
    return changed


async def job_changed(session: AsyncSession, data: PersonJobChanged) -> bool:
    """Apply a `PersonJobChanged`; False (nothing done) when the row already holds newer job facts."""
    row = await repository.lock(session, data.person_id)
    if data.effective_at <= row.job_at:
        log.info("matching.directory.stale", person_id=str(data.person_id), event_type="PersonJobChanged")
        return False
    _set_job(row, data.new, data.effective_at)
    await session.flush()
    return True


async def set_active(session: AsyncSession, person_id: UUID, *, active: bool, at: datetime) -> bool:
    """Apply a deactivation or reactivation at `at`; False when a newer status change is already held."""
    row = await repository.lock(session, person_id)
    if at <= row.status_at:
        log.info("matching.directory.stale", person_id=str(person_id), active=active)
        return False
    row.active, row.status_at = active, at
    await session.flush()
    return True


def _facts(row: models.DirectoryPerson) -> Facts:
    return Facts(
        person_id=row.person_id,
        active=row.active,
        known=row.job_at > repository.NEVER,
        level_rank=row.level_rank,
        department=row.department,
        manager_id=row.manager_id,
        hire_date=row.hire_date,
    )


async def org_view(session: AsyncSession, person_ids: Collection[UUID]) -> OrgView:
    """The facts of `person_ids` and of their managers up to `CHAIN_DEPTH` (one query per level)."""
    people: dict[UUID, Facts] = {}
    wanted = set(person_ids)
    for _ in range(CHAIN_DEPTH + 1):
        wanted -= people.keys()
        if not wanted:
            break
        rows = await repository.by_ids(session, wanted)
        people.update((r.person_id, _facts(r)) for r in rows)
        wanted = {r.manager_id for r in rows if r.manager_id is not None}
    return OrgView(people)


async def active_leaders(session: AsyncSession, *, override: int | None, min_rank: int) -> ActiveLeaders:
    """The typed-in number when a program sets one (an override), else the directory's count."""
    if override is not None:
        return ActiveLeaders(count=override, source="override")
    if not await repository.known(session):
        return ActiveLeaders(count=None, source="unknown")
    return ActiveLeaders(count=await repository.count_leaders(session, min_rank=min_rank), source="directory")
