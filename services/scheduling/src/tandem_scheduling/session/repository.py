from collections.abc import Sequence
from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import Select, select, update
from sqlalchemy.dialects.postgresql import Range
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.auth import Principal
from tandem_kit.db import write_in_savepoint
from tandem_kit.pagination import PageParams, fetch_page
from tandem_scheduling.engagement.repository import readable_statement
from tandem_scheduling.models import Engagement, Session, SessionAttendee


def engagement_sessions_statement(engagement_ids: Sequence[UUID]) -> Select[tuple[Session]]:
    # Visibility is decided on the engagement: callers pass only engagement ids they may read.
    return (
        select(Session)
        .where(Session.engagement_id.in_(engagement_ids))
        .order_by(Session.starts_at, Session.id)
    )


async def list_readable_by_ids(
    session: AsyncSession, principal: Principal, ids: Sequence[UUID]
) -> Sequence[Session]:
    readable = readable_statement(principal).with_only_columns(Engagement.id)
    statement = select(Session).where(Session.id.in_(ids), Session.engagement_id.in_(readable))
    return (await session.scalars(statement)).all()


async def page_for_engagement(
    session: AsyncSession, engagement_id: UUID, page: PageParams
) -> tuple[Sequence[Session], int]:
    """One page of an engagement's sessions, earliest first, and how many it has in all."""
    return await fetch_page(session, engagement_sessions_statement([engagement_id]), page)


async def list_for_engagements(session: AsyncSession, engagement_ids: Sequence[UUID]) -> Sequence[Session]:
    return (await session.scalars(engagement_sessions_statement(engagement_ids))).all()


async def list_booked_after(
    session: AsyncSession, engagement_ids: Sequence[UUID], now: datetime
) -> Sequence[Session]:
    """The engagements' booked sessions that start after `now`."""
    statement = engagement_sessions_statement(engagement_ids).where(
        Session.status == "booked", Session.starts_at > now
    )
    return (await session.scalars(statement)).all()


async def get_in_engagement(
    session: AsyncSession, engagement_id: UUID, session_id: UUID, *, for_update: bool = False
) -> Session | None:
    statement = engagement_sessions_statement([engagement_id]).where(Session.id == session_id)
    if for_update:
        # A locked read must see the committed row, not a copy this session loaded earlier (ending an
        # engagement lists its sessions first): otherwise a cancel that committed meanwhile is missed.
        statement = statement.with_for_update().execution_options(populate_existing=True)
    found = await session.scalar(statement)
    return found


async def add_with_attendees(session: AsyncSession, booked: Session, person_ids: Sequence[UUID]) -> None:
    """Insert the session and one hold per person in one flush (the session id is made here, so the
    holds need no round trip first); the exclusion constraint is checked at this flush, in a savepoint
    written again when a concurrent conflicting booking deadlocks with it."""
    booked.id = booked.id or uuid4()
    during = Range(booked.starts_at, booked.ends_at, bounds="[)")

    async def write() -> None:
        session.add(booked)
        session.add_all(
            [SessionAttendee(session_id=booked.id, person_id=p, during=during) for p in person_ids]
        )
        await session.flush()

    await write_in_savepoint(session, write)


async def release_holds(session: AsyncSession, session_id: UUID) -> None:
    await session.execute(
        update(SessionAttendee).where(SessionAttendee.session_id == session_id).values(cancelled=True)
    )
