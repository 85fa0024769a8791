from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import ColumnElement, Select, func, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_matching.models import Intake, Match, Program, Provider, SponsorAction


def _sponsor_change() -> ColumnElement[datetime]:
    """A sponsor action's last change: logged, corrected or retracted (GREATEST skips NULL)."""
    return func.greatest(SponsorAction.logged_at, SponsorAction.corrected_at, SponsorAction.retracted_at)


async def sponsor_counts(
    session: AsyncSession, person_ids: Sequence[UUID]
) -> tuple[dict[tuple[UUID, UUID], int], dict[tuple[UUID, UUID], int]]:
    """Logged sponsor actions (retracted ones left out) per (person, program): as mentee, as mentor."""
    live = SponsorAction.retracted_at.is_(None)
    counts: list[dict[tuple[UUID, UUID], int]] = []
    for column in (SponsorAction.participant_id, SponsorAction.mentor_person_id):
        rows = await session.execute(
            select(column, SponsorAction.program_id, func.count())
            .where(column.in_(person_ids), live)
            .group_by(column, SponsorAction.program_id)
        )
        counts.append({(row[0], row[1]): int(row[2]) for row in rows})
    return counts[0], counts[1]


def _changes() -> Select[tuple[UUID, datetime]]:
    """Every (person, time) something about their participation changed."""
    parts = union_all(
        select(Intake.person_id.label("person_id"), Intake.created_at.label("at")),
        select(Provider.person_id, Provider.updated_at),
        select(Match.participant_id, Match.approved_at),
        select(Match.provider_person_id, Match.approved_at),
        select(Match.participant_id, Match.ended_at).where(Match.ended_at.is_not(None)),
        select(Match.provider_person_id, Match.ended_at).where(Match.ended_at.is_not(None)),
        select(SponsorAction.participant_id, _sponsor_change()),
        select(SponsorAction.mentor_person_id, _sponsor_change()),
    ).subquery()
    return select(parts.c.person_id, func.max(parts.c.at).label("changed_at")).group_by(parts.c.person_id)


async def people_after(
    session: AsyncSession, *, after: UUID | None, since: datetime | None, limit: int
) -> list[tuple[UUID, datetime]]:
    """People with any participation, in person-id order after `after`, changed at or after `since`."""
    changes = _changes().subquery()
    statement = select(changes.c.person_id, changes.c.changed_at)
    if after is not None:
        statement = statement.where(changes.c.person_id > after)
    if since is not None:
        statement = statement.where(changes.c.changed_at >= since)
    rows = await session.execute(statement.order_by(changes.c.person_id).limit(limit))
    return [(row.person_id, row.changed_at) for row in rows]


async def changed_at(session: AsyncSession, person_id: UUID) -> datetime | None:
    changes = _changes().subquery()
    found: datetime | None = await session.scalar(
        select(changes.c.changed_at).where(changes.c.person_id == person_id)
    )
    return found


async def intakes_of(session: AsyncSession, person_ids: Sequence[UUID]) -> Sequence[tuple[Intake, str]]:
    rows = await session.execute(
        select(Intake, Program.name)
        .join(Program, Program.id == Intake.program_id)
        .where(Intake.person_id.in_(person_ids))
        .order_by(Intake.created_at, Intake.id)
    )
    return [(row[0], row[1]) for row in rows]


async def providers_of(session: AsyncSession, person_ids: Sequence[UUID]) -> Sequence[tuple[Provider, str]]:
    rows = await session.execute(
        select(Provider, Program.name)
        .join(Program, Program.id == Provider.program_id)
        .where(Provider.person_id.in_(person_ids))
        .order_by(Provider.created_at, Provider.id)
    )
    return [(row[0], row[1]) for row in rows]


async def matches_of_intakes(session: AsyncSession, intake_ids: Sequence[UUID]) -> Sequence[Match]:
    return (
        await session.scalars(
            select(Match).where(Match.intake_id.in_(intake_ids)).order_by(Match.approved_at)
        )
    ).all()
