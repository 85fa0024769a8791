from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import Range
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_scheduling.models import SessionAttendee


async def busy_ranges(
    session: AsyncSession, person_ids: Sequence[UUID], start: datetime, end: datetime
) -> Sequence[tuple[datetime, datetime]]:
    """Live holds of these people that touch [start, end)."""
    rows = await session.scalars(
        select(SessionAttendee.during).where(
            SessionAttendee.person_id.in_(person_ids),
            SessionAttendee.cancelled.is_(False),
            SessionAttendee.during.overlaps(Range(start, end)),
        )
    )
    return [(r.lower, r.upper) for r in rows if r.lower is not None and r.upper is not None]
