from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import Range, insert
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_scheduling.models import Session, SessionAttendee, SessionConflict


@dataclass(frozen=True)
class Hold:
    session_id: UUID
    engagement_id: UUID
    starts_at: datetime
    ends_at: datetime


async def live_holds(session: AsyncSession, person_id: UUID, start: datetime, end: datetime) -> list[Hold]:
    """The person's booked sessions that touch [start, end), earliest first."""
    rows = await session.execute(
        select(Session.id, Session.engagement_id, Session.starts_at, Session.ends_at)
        .join(SessionAttendee, SessionAttendee.session_id == Session.id)
        .where(
            SessionAttendee.person_id == person_id,
            SessionAttendee.cancelled.is_(False),
            SessionAttendee.during.overlaps(Range(start, end)),
        )
        .order_by(func.lower(SessionAttendee.during))
    )
    return [Hold(*row) for row in rows.tuples()]


async def record(
    session: AsyncSession,
    person_id: UUID,
    found: Sequence[tuple[UUID, datetime, datetime]],
    *,
    now: datetime,
) -> set[tuple[UUID, datetime, datetime]]:
    """Record (session, busy start, busy end) conflicts of the person; those recorded now, not before."""
    if not found:
        return set()
    statement = (
        insert(SessionConflict)
        .values(
            [
                {
                    "session_id": s,
                    "person_id": person_id,
                    "busy_start": b0,
                    "busy_end": b1,
                    "detected_at": now,
                }
                for s, b0, b1 in found
            ]
        )
        .on_conflict_do_nothing()
        .returning(SessionConflict.session_id, SessionConflict.busy_start, SessionConflict.busy_end)
    )
    return {(s, b0, b1) for s, b0, b1 in (await session.execute(statement)).tuples()}
