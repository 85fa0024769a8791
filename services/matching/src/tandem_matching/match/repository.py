from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import Select, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.auth import Principal
from tandem_kit.pagination import PageParams, fetch_page
from tandem_matching.models import Match


def readable_statement(principal: Principal) -> Select[tuple[Match]]:
    """Managers and machines see every match; a person only matches they are a party to."""
    statement = select(Match)
    if not principal.sees_everything:
        person = principal.person_uuid  # None: a person claim that is no UUID, who sees nothing
        party = or_(Match.participant_id == person, Match.provider_person_id == person)
        statement = statement.where(party if person is not None else false())
    return statement


async def get(session: AsyncSession, principal: Principal, match_id: UUID) -> Match | None:
    found: Match | None = await session.scalar(readable_statement(principal).where(Match.id == match_id))
    return found


async def get_many(session: AsyncSession, principal: Principal, ids: Sequence[UUID]) -> Sequence[Match]:
    return (await session.scalars(readable_statement(principal).where(Match.id.in_(ids)))).all()


async def list_for_program(
    session: AsyncSession, principal: Principal, program_id: UUID, page: PageParams
) -> tuple[Sequence[Match], int]:
    statement = (
        readable_statement(principal)
        .where(Match.program_id == program_id)
        .order_by(Match.approved_at, Match.id)
    )
    return await fetch_page(session, statement, page)


async def lock(session: AsyncSession, match_id: UUID) -> Match | None:
    found: Match | None = await session.scalar(
        select(Match).where(Match.id == match_id).with_for_update().execution_options(populate_existing=True)
    )
    return found


async def active_for(session: AsyncSession, intake_id: UUID, kind: str) -> Match | None:
    found: Match | None = await session.scalar(
        select(Match).where(
            Match.intake_id == intake_id, Match.provider_kind == kind, Match.status == "active"
        )
    )
    return found


async def active_kinds(session: AsyncSession, intake_ids: Sequence[UUID]) -> set[tuple[UUID, str]]:
    rows = await session.execute(
        select(Match.intake_id, Match.provider_kind).where(
            Match.intake_id.in_(intake_ids), Match.status == "active"
        )
    )
    return {(row.intake_id, row.provider_kind) for row in rows}


async def completed_kinds(session: AsyncSession, intake_ids: Sequence[UUID]) -> set[tuple[UUID, str]]:
    """(intake, kind) pairs with a match that ended `completed` (a dual-track sprint done)."""
    rows = await session.execute(
        select(Match.intake_id, Match.provider_kind)
        .where(Match.intake_id.in_(intake_ids), Match.status == "ended", Match.end_reason == "completed")
        .distinct()
    )
    return {(row.intake_id, row.provider_kind) for row in rows}


async def reassignment_counts(session: AsyncSession, program_id: UUID) -> tuple[int, int]:
    row = (
        await session.execute(
            select(
                func.count().filter(Match.previous_match_id.is_(None)),
                func.count().filter(Match.status == "reassigned"),
            ).where(Match.program_id == program_id)
        )
    ).one()
    return int(row[0]), int(row[1])


async def active_ids_of_person(session: AsyncSession, person_id: UUID) -> list[UUID]:
    """Active matches the person is a party to (participant or provider), in id order."""
    rows = await session.scalars(
        select(Match.id)
        .where(
            or_(Match.participant_id == person_id, Match.provider_person_id == person_id),
            Match.status == "active",
        )
        .order_by(Match.id)
    )
    return list(rows.all())


async def active_ids_of_participant(session: AsyncSession, person_id: UUID) -> list[UUID]:
    rows = await session.scalars(
        select(Match.id).where(Match.participant_id == person_id, Match.status == "active").order_by(Match.id)
    )
    return list(rows.all())
