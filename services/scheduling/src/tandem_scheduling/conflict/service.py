from datetime import datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.events import emit
from tandem_scheduling.conflict import domain, repository
from tandem_scheduling.conflict.schemas import CalendarBusyChanged
from tandem_scheduling.events import SessionConflictDetected

log = structlog.get_logger("tandem.scheduling.conflict")


async def detect(session: AsyncSession, data: CalendarBusyChanged, *, now: datetime) -> int:
    """Record and announce each new conflict between the person's busy times and their booked sessions
    not yet started; a conflict seen before (same session, person and interval) is not announced again."""
    holds = await repository.live_holds(session, data.person_id, data.window_start, data.window_end)
    found = domain.conflicts([(b.start, b.end) for b in data.busy], holds, now=now)
    new = await repository.record(session, data.person_id, found, now=now)
    engagements = {h.session_id: h.engagement_id for h in holds}
    for session_id, start, end in found:
        if (session_id, start, end) not in new:
            continue
        new.discard((session_id, start, end))
        await emit(
            session,
            SessionConflictDetected(
                session_id=session_id,
                engagement_id=engagements[session_id],
                person_id=data.person_id,
                starts_at=start,
                ends_at=end,
                detected_at=now,
            ),
        )
    if found:
        log.info("scheduling.conflict.detected", person_id=str(data.person_id), conflicts=len(found))
    return len(found)
