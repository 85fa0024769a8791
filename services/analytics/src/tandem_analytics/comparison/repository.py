"""The comparison's population in one set-based statement, and the program's complexity bands."""

from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from typing import Any
from uuid import UUID

from sqlalchemy import Select, and_, delete, exists, false, func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_analytics.models import (
    BusinessKpiValue,
    ConsentPeriod,
    JobFact,
    MatchFact,
    PersonFact,
    PromotionFact,
)
from tandem_analytics.models.pilot import ComplexityBand
from tandem_kit.auth import Principal


def start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), UTC)


def population_statement(program_id: UUID, since: date, until: date, now: datetime) -> Select[Any]:
    """Everyone with a job on `since` and `analytics` consent standing now: their covariates, whether
    they joined the program before `until` (null: joined later, left out), and whether they were
    promoted in [since, until)."""
    start, end = start_of(since), start_of(until)
    job = (
        select(JobFact.person_id, JobFact.level, JobFact.level_rank, JobFact.department)
        .where(JobFact.valid_from < start)
        .distinct(JobFact.person_id)
        .order_by(JobFact.person_id, JobFact.valid_from.desc())
        .cte("job")
    )
    joined = (
        select(MatchFact.participant_id, func.min(MatchFact.approved_at).label("joined_at"))
        .where(MatchFact.program_id == program_id, MatchFact.approved_at.is_not(None))
        .group_by(MatchFact.participant_id)
        .cte("joined")
    )
    consent = exists().where(
        ConsentPeriod.person_id == job.c.person_id,
        ConsentPeriod.granted_from <= now,
        or_(ConsentPeriod.granted_until.is_(None), ConsentPeriod.granted_until > now),
    )
    promoted = exists().where(
        PromotionFact.person_id == job.c.person_id,
        PromotionFact.promoted_at >= start,
        PromotionFact.promoted_at < end,
    )
    return (
        select(
            job.c.level,
            job.c.level_rank,
            job.c.department,
            PersonFact.hire_date,
            ComplexityBand.band,
            joined.c.joined_at,
            promoted.label("promoted"),
        )
        .select_from(job)
        .outerjoin(PersonFact, PersonFact.person_id == job.c.person_id)
        .outerjoin(
            ComplexityBand,
            and_(ComplexityBand.person_id == job.c.person_id, ComplexityBand.program_id == program_id),
        )
        .outerjoin(joined, joined.c.participant_id == job.c.person_id)
        .where(consent, or_(joined.c.joined_at.is_(None), joined.c.joined_at < end))
    )


async def population(
    session: AsyncSession, program_id: UUID, since: date, until: date, now: datetime
) -> Sequence[Any]:
    return (await session.execute(population_statement(program_id, since, until, now))).all()


async def kpi_values(
    session: AsyncSession, program_id: UUID, name: str, segment_kind: str, periods: tuple[str, str]
) -> Sequence[Any]:
    b = BusinessKpiValue
    statement = select(b.segment, b.period, b.value).where(
        b.program_id == program_id, b.kpi_name == name, b.segment_kind == segment_kind, b.period.in_(periods)
    )
    return (await session.execute(statement)).all()


async def set_bands(session: AsyncSession, program_id: UUID, bands: Sequence[tuple[UUID, str]]) -> int:
    statement = insert(ComplexityBand).values(
        [{"program_id": program_id, "person_id": p, "band": b, "updated_at": func.now()} for p, b in bands]
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[ComplexityBand.program_id, ComplexityBand.person_id],
            set_={"band": statement.excluded.band, "updated_at": statement.excluded.updated_at},
        )
    )
    return len(bands)


def bands_statement(principal: Principal, program_id: UUID) -> Select[tuple[ComplexityBand]]:
    """A program's bands the caller may see: all for machines and supervisors, a person's own otherwise."""
    statement = select(ComplexityBand).where(ComplexityBand.program_id == program_id)
    if not principal.sees_everything:
        person = principal.person_uuid
        statement = statement.where(ComplexityBand.person_id == person if person else false())
    return statement.order_by(ComplexityBand.person_id)


async def bands_of(session: AsyncSession, person_id: UUID) -> list[tuple[UUID, str]]:
    """(program, band) for the person (access requests)."""
    rows = await session.execute(
        select(ComplexityBand.program_id, ComplexityBand.band)
        .where(ComplexityBand.person_id == person_id)
        .order_by(ComplexityBand.program_id)
    )
    return [(program, band) for program, band in rows]


async def forget_person(session: AsyncSession, person_id: UUID) -> int:
    """Erasure: the person's complexity bands go (a covariate about them, no KPI counts it)."""
    result = await session.execute(
        delete(ComplexityBand)
        .where(ComplexityBand.person_id == person_id)
        .returning(ComplexityBand.person_id)
    )
    return len(result.all())
