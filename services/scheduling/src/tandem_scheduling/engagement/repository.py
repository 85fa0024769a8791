from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import Select, false, func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.auth import Principal
from tandem_kit.pagination import PageParams, fetch_page
from tandem_scheduling.models import EndedMatch, Engagement


def readable_statement(principal: Principal) -> Select[tuple[Engagement]]:
    """Engagements the caller may see: all for machines and program managers, else their own."""
    statement = select(Engagement)
    if principal.sees_everything:
        return statement
    person = principal.person_uuid
    if person is None:
        return statement.where(false())
    return statement.where(or_(Engagement.participant_id == person, Engagement.provider_person_id == person))


async def get_readable(session: AsyncSession, principal: Principal, engagement_id: UUID) -> Engagement | None:
    found = await session.scalar(readable_statement(principal).where(Engagement.id == engagement_id))
    return found


async def get_readable_for_update(
    session: AsyncSession, principal: Principal, engagement_id: UUID
) -> Engagement | None:
    found = await session.scalar(
        readable_statement(principal).where(Engagement.id == engagement_id).with_for_update()
    )
    return found


async def get_readable_for_share(
    session: AsyncSession, principal: Principal, engagement_id: UUID
) -> Engagement | None:
    """The engagement, locked against ending it (which locks it for update) until the transaction ends."""
    found = await session.scalar(
        readable_statement(principal).where(Engagement.id == engagement_id).with_for_update(read=True)
    )
    return found


def listed_statement(
    principal: Principal, *, participant_id: UUID | None = None
) -> Select[tuple[Engagement]]:
    """The engagements the caller may see, newest first; the id last makes the order total, so pages
    neither skip nor repeat a row."""
    statement = readable_statement(principal)
    if participant_id is not None:
        statement = statement.where(Engagement.participant_id == participant_id)
    return statement.order_by(Engagement.created_at.desc(), Engagement.id)


async def page_readable(
    session: AsyncSession, principal: Principal, page: PageParams, *, participant_id: UUID | None = None
) -> tuple[Sequence[Engagement], int]:
    """One page of the engagements the caller may see, and how many they may see in all."""
    return await fetch_page(session, listed_statement(principal, participant_id=participant_id), page)


async def list_readable_by_ids(
    session: AsyncSession, principal: Principal, ids: Sequence[UUID]
) -> Sequence[Engagement]:
    return (await session.scalars(readable_statement(principal).where(Engagement.id.in_(ids)))).all()


async def list_readable_by_match_ids(
    session: AsyncSession, principal: Principal, match_ids: Sequence[UUID]
) -> Sequence[Engagement]:
    return (
        await session.scalars(readable_statement(principal).where(Engagement.match_id.in_(match_ids)))
    ).all()


async def get_by_match_id(
    session: AsyncSession, match_id: UUID, *, for_update: bool = False
) -> Engagement | None:
    statement = select(Engagement).where(Engagement.match_id == match_id)
    if for_update:
        statement = statement.with_for_update()
    found = await session.scalar(statement)
    return found


async def lock_match(session: AsyncSession, match_id: UUID) -> None:
    """Serialise the transactions that open or end this match's engagement until they end.

    Without it an approval and an end applied at the same moment could each miss the other's row.
    """
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(str(match_id), 0))))


async def remember_ended_match(session: AsyncSession, match_id: UUID, ended_at: datetime) -> bool:
    """Record that the match ended; False when it was recorded already."""
    result = await session.execute(
        insert(EndedMatch)
        .values(match_id=match_id, ended_at=ended_at)
        .on_conflict_do_nothing()
        .returning(EndedMatch.match_id)
    )
    return result.first() is not None


async def match_ended(session: AsyncSession, match_id: UUID) -> bool:
    found = await session.scalar(select(EndedMatch.match_id).where(EndedMatch.match_id == match_id))
    return found is not None


async def list_active_for_person(session: AsyncSession, person_id: UUID) -> Sequence[Engagement]:
    """The person's active engagements (as participant or provider), locked for update: a booking in
    flight on one of them finishes first, and none starts until the caller's transaction ends."""
    statement = (
        select(Engagement)
        .where(
            Engagement.status == "active",
            or_(Engagement.participant_id == person_id, Engagement.provider_person_id == person_id),
        )
        .order_by(Engagement.id)
        .with_for_update()
    )
    return (await session.scalars(statement)).all()
