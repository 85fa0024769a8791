from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import Select, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.auth import Principal
from tandem_kit.pagination import PageParams, fetch_page
from tandem_matching.models import Handoff, Match


def readable_statement(principal: Principal) -> Select[tuple[Handoff]]:
    """Managers and machines read every handoff; the participant theirs; the mentor once their mentor
    match is approved (`mentor_person_id` is set then). Nobody else, not even the coach."""
    statement = select(Handoff)
    if not principal.sees_everything:
        person = principal.person_uuid
        reader = or_(Handoff.participant_id == person, Handoff.mentor_person_id == person)
        statement = statement.where(reader if person is not None else false())
    return statement


async def get(
    session: AsyncSession, principal: Principal, handoff_id: UUID, *, lock: bool = False
) -> Handoff | None:
    statement = readable_statement(principal).where(Handoff.id == handoff_id)
    if lock:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    found: Handoff | None = await session.scalar(statement)
    return found


async def get_many(session: AsyncSession, principal: Principal, ids: Sequence[UUID]) -> Sequence[Handoff]:
    return (await session.scalars(readable_statement(principal).where(Handoff.id.in_(ids)))).all()


async def list_for_participant(
    session: AsyncSession, principal: Principal, participant_id: UUID, page: PageParams
) -> tuple[Sequence[Handoff], int]:
    statement = (
        readable_statement(principal)
        .where(Handoff.participant_id == participant_id)
        .order_by(Handoff.prepared_at, Handoff.id)
    )
    return await fetch_page(session, statement, page)


async def of_coaching_match(session: AsyncSession, match_id: UUID) -> Handoff | None:
    found: Handoff | None = await session.scalar(select(Handoff).where(Handoff.from_match_id == match_id))
    return found


async def awaiting_mentor(session: AsyncSession, intake_id: UUID) -> Handoff | None:
    """The intake's latest handoff without a mentor match yet, locked."""
    found: Handoff | None = await session.scalar(
        select(Handoff)
        .where(Handoff.intake_id == intake_id, Handoff.to_match_id.is_(None))
        .order_by(Handoff.prepared_at.desc())
        .limit(1)
        .with_for_update()
    )
    return found


async def match(session: AsyncSession, match_id: UUID) -> Match | None:
    found: Match | None = await session.get(Match, match_id)
    return found
