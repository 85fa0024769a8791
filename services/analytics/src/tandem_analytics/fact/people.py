"""Directory facts (the gateway's HR events) and the `analytics` consent they are kept under.

A person's job history, hire date, active state and promotions reach analytics only while their
`analytics` consent is granted (docs/analytics.md, "People"): an HR event about someone without it is
dropped, and a withdrawal deletes what was kept. Every write is an upsert keyed by the fact's own time,
so events may arrive in any order and any number of times.
"""

from collections.abc import Sequence
from datetime import date, datetime
from uuid import UUID

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_analytics.fact.schemas import Job
from tandem_analytics.models import AnalyticsConsent, JobFact, PersonFact, PromotionFact

ANALYTICS = "analytics"
PERSON_TABLES = (JobFact, PersonFact, PromotionFact)


async def set_consent(session: AsyncSession, person_id: UUID, *, granted: bool, at: datetime) -> bool:
    """Record the `analytics` consent as of `at`; False when a later change is already recorded."""
    values = insert(AnalyticsConsent).values(person_id=person_id, granted=granted, changed_at=at)
    statement = values.on_conflict_do_update(
        index_elements=[AnalyticsConsent.person_id],
        set_={"granted": values.excluded.granted, "changed_at": values.excluded.changed_at},
        where=AnalyticsConsent.changed_at < values.excluded.changed_at,
    ).returning(AnalyticsConsent.person_id)
    return (await session.execute(statement)).first() is not None


async def consented(session: AsyncSession, person_id: UUID) -> bool:
    granted = await session.scalar(
        select(AnalyticsConsent.granted).where(AnalyticsConsent.person_id == person_id)
    )
    return bool(granted)


async def forget(session: AsyncSession, person_id: UUID) -> dict[str, int]:
    """Delete every directory fact about the person; rows deleted per table."""
    counts: dict[str, int] = {}
    for model in PERSON_TABLES:
        result = await session.execute(
            delete(model)
            .where(model.person_id == person_id)
            .returning(model.person_id)
            .execution_options(synchronize_session=False)
        )
        counts[model.__tablename__] = len(result.all())
    return counts


async def record_job(session: AsyncSession, person_id: UUID, job: Job, *, valid_from: datetime) -> None:
    values = {"person_id": person_id, "valid_from": valid_from, **job.model_dump()}
    statement = insert(JobFact).values(values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[JobFact.person_id, JobFact.valid_from],
            set_={k: statement.excluded[k] for k in Job.model_fields},
        )
    )


async def record_employment(
    session: AsyncSession, person_id: UUID, *, active: bool, since: datetime, hire_date: date | None = None
) -> None:
    """Active state as of `since` (a newer one is kept); the hire date whenever one is given."""
    values = insert(PersonFact).values(
        person_id=person_id, active=active, active_since=since, hire_date=hire_date
    )
    newer = values.excluded.active_since > PersonFact.active_since
    set_ = {"active": values.excluded.active, "active_since": values.excluded.active_since}
    await session.execute(
        values.on_conflict_do_update(index_elements=[PersonFact.person_id], set_=set_, where=newer)
    )
    if hire_date is not None:
        await session.execute(
            update(PersonFact).where(PersonFact.person_id == person_id).values(hire_date=hire_date)
        )


async def record_promotion(
    session: AsyncSession, person_id: UUID, *, at: datetime, old: Job, new: Job
) -> None:
    await session.execute(
        insert(PromotionFact)
        .values(person_id=person_id, promoted_at=at, from_level=old.level, to_level=new.level)
        .on_conflict_do_nothing()
    )


# Reads, for the KPIs (promotion rate) and the matched comparison.


async def job_on(session: AsyncSession, person_id: UUID, at: datetime) -> JobFact | None:
    """The person's job on `at`: the latest row valid from then or before."""
    statement = (
        select(JobFact)
        .where(JobFact.person_id == person_id, JobFact.valid_from <= at)
        .order_by(JobFact.valid_from.desc())
        .limit(1)
    )
    found: JobFact | None = await session.scalar(statement)
    return found


async def promoted_between(
    session: AsyncSession, person_ids: Sequence[UUID], start: datetime, end: datetime
) -> set[UUID]:
    """Which of these people were promoted in [start, end)."""
    found = await session.scalars(
        select(PromotionFact.person_id)
        .where(
            PromotionFact.person_id.in_(person_ids),
            PromotionFact.promoted_at >= start,
            PromotionFact.promoted_at < end,
        )
        .distinct()
    )
    return set(found.all())
