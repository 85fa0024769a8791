"""SQL of calendar sync: people's calendar connections, the busy cache, session events, watch channels."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_gateway.calendars.domain import Interval, Provider, google_event_id
from tandem_gateway.connections.domain import ConnectionStatus
from tandem_gateway.models import BusyCache, CalendarWatch, ExternalConnection, SessionEvent

CALENDAR_PROVIDERS = [p.value for p in Provider]
# A person with two calendars connected is read through the healthiest, then the newest.
STATUS_RANK = {ConnectionStatus.ACTIVE: 0, ConnectionStatus.NEEDS_REAUTH: 1}


async def calendar_connections(
    session: AsyncSession, person_ids: Sequence[UUID]
) -> dict[UUID, ExternalConnection]:
    """Each person's calendar connection that is not disconnected (the active one first)."""
    rows = await session.scalars(
        select(ExternalConnection).where(
            ExternalConnection.person_id.in_(person_ids),
            ExternalConnection.provider.in_(CALENDAR_PROVIDERS),
            ExternalConnection.status != ConnectionStatus.DISCONNECTED,
        )
    )
    chosen: dict[UUID, ExternalConnection] = {}
    for row in sorted(
        rows, key=lambda c: (STATUS_RANK.get(ConnectionStatus(c.status), 2), -c.connected_at.timestamp())
    ):
        assert row.person_id is not None
        chosen.setdefault(row.person_id, row)
    return chosen


async def connection(session: AsyncSession, connection_id: UUID) -> ExternalConnection | None:
    return await session.get(ExternalConnection, connection_id)


async def active_calendar_connections(session: AsyncSession) -> Sequence[ExternalConnection]:
    statement = select(ExternalConnection).where(
        ExternalConnection.person_id.is_not(None),
        ExternalConnection.provider.in_(CALENDAR_PROVIDERS),
        ExternalConnection.status == ConnectionStatus.ACTIVE,
    )
    return (await session.scalars(statement)).all()


# -- busy cache -------------------------------------------------------------------------------------


async def cached_busy(session: AsyncSession, person_ids: Sequence[UUID]) -> dict[UUID, BusyCache]:
    rows = await session.scalars(select(BusyCache).where(BusyCache.person_id.in_(person_ids)))
    return {row.person_id: row for row in rows}


async def store_busy(
    session: AsyncSession,
    person_id: UUID,
    connection_id: UUID,
    window: Interval,
    busy: Sequence[Interval],
    now: datetime,
) -> None:
    values = {
        "person_id": person_id,
        "connection_id": connection_id,
        "window_start": window.start,
        "window_end": window.end,
        "busy": [[i.start.isoformat(), i.end.isoformat()] for i in busy],
        "fetched_at": now,
    }
    statement = insert(BusyCache).values(**values)
    await session.execute(statement.on_conflict_do_update(index_elements=[BusyCache.person_id], set_=values))


async def forget_busy(session: AsyncSession, person_id: UUID) -> None:
    await session.execute(delete(BusyCache).where(BusyCache.person_id == person_id))


# -- session events ---------------------------------------------------------------------------------


async def session_events(
    session: AsyncSession, session_id: UUID, *, lock: bool = False
) -> Sequence[SessionEvent]:
    statement = (
        select(SessionEvent).where(SessionEvent.session_id == session_id).order_by(SessionEvent.person_id)
    )
    if lock:
        statement = statement.with_for_update()
    return (await session.scalars(statement)).all()


async def booked_sessions(session: AsyncSession, person_id: UUID, now: datetime) -> list[Interval]:
    """The person's sessions still ahead that are not cancelled."""
    rows = await session.execute(
        select(SessionEvent.starts_at, SessionEvent.ends_at).where(
            SessionEvent.person_id == person_id, SessionEvent.state != "cancelled", SessionEvent.ends_at > now
        )
    )
    return [Interval(start, end) for start, end in rows.tuples()]


async def own_event_keys(session: AsyncSession, person_id: UUID) -> set[str]:
    """How the person's calendar names the events Tandem wrote for their sessions (any state): the Google
    event id (base32hex of the session id), the Graph `transactionId` (the session id), the stored id."""
    rows = await session.execute(
        select(SessionEvent.session_id, SessionEvent.external_id).where(SessionEvent.person_id == person_id)
    )
    keys: set[str] = set()
    for session_id, external_id in rows.tuples():
        keys.update((google_event_id(session_id), str(session_id)))
        if external_id:
            keys.add(external_id)
    return keys


# -- watch channels ---------------------------------------------------------------------------------


async def watch_of(session: AsyncSession, watch_id: UUID) -> CalendarWatch | None:
    return await session.get(CalendarWatch, watch_id)


async def watch_by_external_id(
    session: AsyncSession, provider: Provider, external_id: str
) -> CalendarWatch | None:
    statement = select(CalendarWatch).where(
        CalendarWatch.provider == provider.value, CalendarWatch.external_id == external_id
    )
    return (await session.scalars(statement)).first()


async def watches_of_connection(session: AsyncSession, connection_id: UUID) -> Sequence[CalendarWatch]:
    statement = select(CalendarWatch).where(CalendarWatch.connection_id == connection_id)
    return (await session.scalars(statement)).all()


async def watches_expiring(session: AsyncSession, before: datetime) -> Sequence[CalendarWatch]:
    statement = select(CalendarWatch).where(CalendarWatch.expires_at < before)
    return (await session.scalars(statement)).all()


async def watched_connection_ids(session: AsyncSession) -> set[UUID]:
    return set((await session.scalars(select(CalendarWatch.connection_id))).all())
