"""The gateway's calendar change notifications, checked against booked sessions."""

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.events import EventEnvelope, Subscription, typed
from tandem_scheduling.conflict import schemas, service


async def on_calendar_busy_changed(
    session: AsyncSession, _envelope: EventEnvelope, data: schemas.CalendarBusyChanged
) -> None:
    await service.detect(session, data, now=datetime.now(UTC))


CALENDAR_BUSY_CHANGED = Subscription(
    name="scheduling-calendar-conflicts",
    subjects=["tandem.gateway.CalendarBusyChanged"],
    handler=typed(schemas.CalendarBusyChanged, on_calendar_busy_changed),
)
