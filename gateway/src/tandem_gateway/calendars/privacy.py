"""A person's calendar-sync data for consent's data-subject requests (registered with the gateway's
`privacy/` registry): the sessions written to their calendar, their cached busy times, their channels.

Only times and ids are held. Erasure deletes the rows; the events already in the person's own calendar
are theirs (the connection's erasure revokes Tandem's access to it), and a channel whose row is gone
is refused at the webhook (unknown channel) until the provider lets it expire.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_gateway.models import BusyCache, CalendarWatch, SessionEvent

PART = "calendar_sync"


async def export_person(session: AsyncSession, person_id: UUID) -> list[dict[str, Any]]:
    events = await session.scalars(
        select(SessionEvent).where(SessionEvent.person_id == person_id).order_by(SessionEvent.starts_at)
    )
    cached = await session.get(BusyCache, person_id)
    channels = await session.scalars(select(CalendarWatch).where(CalendarWatch.person_id == person_id))
    records: list[dict[str, Any]] = [
        {
            "kind": "session_event",
            "session_id": str(e.session_id),
            "engagement_id": str(e.engagement_id),
            "starts_at": e.starts_at.isoformat(),
            "ends_at": e.ends_at.isoformat(),
            "state": e.state,
            "skip_reason": e.skip_reason,
            "provider": e.provider,
        }
        for e in events
    ]
    if cached is not None:
        records.append(
            {
                "kind": "busy_cache",
                "window_start": cached.window_start.isoformat(),
                "window_end": cached.window_end.isoformat(),
                "busy": cached.busy,
                "fetched_at": cached.fetched_at.isoformat(),
            }
        )
    records += [
        {"kind": "notification_channel", "provider": c.provider, "expires_at": c.expires_at.isoformat()}
        for c in channels
    ]
    return records


async def erase_person(session: AsyncSession, person_id: UUID) -> int:
    erased = 0
    for table in (SessionEvent, BusyCache, CalendarWatch):
        result = await session.execute(delete(table).where(table.person_id == person_id))
        erased += result.rowcount or 0  # type: ignore[attr-defined]
    return erased
