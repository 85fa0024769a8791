"""Booked sessions written into both people's calendars, cancelled sessions taken out.

Runs in the consumer of scheduling's events, never in the booking request. Idempotent by
construction: the Google event's id is the session id in base32hex and the Graph event's
`transactionId` is the session id, so a retried delivery finds the event it already made. A write the
provider refuses for now (429/503, honouring `Retry-After`) is retried in place, then by redelivery,
and after the consumer's last try it is a dead letter operations see and replay.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_gateway.calendars import repository, schemas
from tandem_gateway.calendars.domain import Provider
from tandem_gateway.calendars.runtime import Calendars
from tandem_gateway.connections.domain import ConnectionStatus
from tandem_gateway.connections.service import NeedsReauth
from tandem_gateway.models import ExternalConnection, SessionEvent

log = structlog.get_logger("tandem.gateway.calendars")

BOOKED, WRITTEN, SKIPPED, CANCELLED = "booked", "written", "skipped", "cancelled"


async def _put(calendars: Calendars, connection: ExternalConnection, row: SessionEvent) -> str:
    provider = Provider(connection.provider)
    put = calendars.api.google_put_event if provider is Provider.GOOGLE else calendars.api.graph_put_event
    return await calendars.call(
        connection.id, provider, lambda token: put(token, row.session_id, row.starts_at, row.ends_at)
    )


async def _remove(calendars: Calendars, provider: Provider, connection_id: UUID, external_id: str) -> None:
    delete = (
        calendars.api.google_delete_event if provider is Provider.GOOGLE else calendars.api.graph_delete_event
    )
    await calendars.call(connection_id, provider, lambda token: delete(token, external_id))


def _skip(row: SessionEvent, reason: str, now: datetime) -> None:
    row.state, row.skip_reason, row.updated_at = SKIPPED, reason, now
    log.info("calendars.event.skipped", session_id=str(row.session_id), reason=reason)


async def write_booked(session: AsyncSession, calendars: Calendars, booked: schemas.SessionBooked) -> None:
    """The session as an event in the participant's and the provider's calendar (each that is connected)."""
    now = datetime.now(UTC)
    rows = {r.person_id: r for r in await repository.session_events(session, booked.session_id, lock=True)}
    people = list(dict.fromkeys([booked.participant_id, booked.provider_person_id]))
    connections = await repository.calendar_connections(session, people)
    for person_id in people:
        row = rows.get(person_id)
        if row is None:
            row = SessionEvent(
                session_id=booked.session_id,
                person_id=person_id,
                engagement_id=booked.engagement_id,
                starts_at=booked.starts_at,
                ends_at=booked.ends_at,
                state=BOOKED,
                updated_at=now,
            )
            session.add(row)
        elif row.state in (WRITTEN, CANCELLED):
            continue  # a redelivery, or a booking that was already cancelled
        connection = connections.get(person_id)
        if connection is None:
            _skip(row, "not_connected", now)
            continue
        if connection.status != ConnectionStatus.ACTIVE:
            _skip(row, "needs_reauth", now)
            continue
        try:
            external_id = await _put(calendars, connection, row)
        except NeedsReauth:
            _skip(row, "needs_reauth", now)
            continue
        row.state, row.skip_reason, row.updated_at = WRITTEN, None, now
        row.provider, row.connection_id, row.external_id = connection.provider, connection.id, external_id
        log.info("calendars.event.written", session_id=str(row.session_id), provider=connection.provider)
    await session.flush()


async def write_cancelled(session: AsyncSession, calendars: Calendars, session_id: UUID) -> None:
    """The session's events deleted from both calendars (Google: the event is cancelled; Graph: deleted)."""
    now = datetime.now(UTC)
    for row in await repository.session_events(session, session_id, lock=True):
        if row.state == CANCELLED:
            continue
        if row.state == WRITTEN and row.connection_id is not None and row.external_id is not None:
            try:
                await _remove(calendars, Provider(str(row.provider)), row.connection_id, row.external_id)
            except NeedsReauth:
                # The grant is gone: nothing can be deleted through it; the person removes the event.
                row.skip_reason = "needs_reauth"
        row.state, row.updated_at = CANCELLED, now
        log.info("calendars.event.cancelled", session_id=str(session_id))
    await session.flush()
