"""The calendar writer (scheduling's `SessionBooked` / `SessionCancelled`, in stream order) and the
channel keeper (the gateway's own `CalendarConnected` / `CalendarConnectionBroken`)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from tandem_gateway.calendars import notifications, schemas, writer
from tandem_gateway.calendars.runtime import Calendars
from tandem_kit.events import EventEnvelope, Subscription, typed

WRITER = "gateway-calendar-writer"
CHANNELS = "gateway-calendar-channels"


def subscriptions(calendars: Calendars) -> list[Subscription]:
    async def on_session_booked(
        session: AsyncSession, _envelope: EventEnvelope, data: schemas.SessionBooked
    ) -> None:
        await writer.write_booked(session, calendars, data)

    async def on_session_cancelled(
        session: AsyncSession, _envelope: EventEnvelope, data: schemas.SessionCancelled
    ) -> None:
        await writer.write_cancelled(session, calendars, data.session_id)

    async def on_calendar_connected(
        session: AsyncSession, _envelope: EventEnvelope, data: schemas.CalendarConnected
    ) -> None:
        await notifications.open_on_connect(session, calendars, data.connection_id)

    async def on_calendar_connection_broken(
        session: AsyncSession, _envelope: EventEnvelope, data: schemas.CalendarConnectionBroken
    ) -> None:
        await notifications.close_on_break(session, calendars, data.connection_id)

    # One consumer per pair, so a cancellation is never applied before its booking.
    session_handlers = {
        "SessionBooked": typed(schemas.SessionBooked, on_session_booked),
        "SessionCancelled": typed(schemas.SessionCancelled, on_session_cancelled),
    }
    channel_handlers = {
        "CalendarConnected": typed(schemas.CalendarConnected, on_calendar_connected),
        "CalendarConnectionBroken": typed(schemas.CalendarConnectionBroken, on_calendar_connection_broken),
    }

    async def on_session_event(session: AsyncSession, envelope: EventEnvelope) -> None:
        await session_handlers[envelope.type](session, envelope)

    async def on_connection_event(session: AsyncSession, envelope: EventEnvelope) -> None:
        await channel_handlers[envelope.type](session, envelope)

    return [
        Subscription(
            name=WRITER,
            subjects=["tandem.scheduling.SessionBooked", "tandem.scheduling.SessionCancelled"],
            handler=on_session_event,
        ),
        Subscription(
            name=CHANNELS,
            subjects=["tandem.gateway.CalendarConnected", "tandem.gateway.CalendarConnectionBroken"],
            handler=on_connection_event,
        ),
    ]
