"""Free/busy for slot search: each person's busy times from their calendar (or the short cache), with
a per-person status that says whether the calendar was read. Unknown is never free."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from tandem_gateway.calendars import repository
from tandem_gateway.calendars.domain import (
    CalendarStatus,
    Interval,
    Provider,
    Reason,
    covers,
    merge_clipped,
    utc,
)
from tandem_gateway.calendars.runtime import Calendars
from tandem_gateway.calendars.schemas import BusyInterval, FreeBusy, FreeBusyQuery, PersonFreeBusy
from tandem_gateway.connections.domain import ConnectionStatus
from tandem_gateway.models import BusyCache


def _answer(
    person_id: UUID,
    status: CalendarStatus,
    provider: Provider | None,
    reason: Reason | None,
    busy: list[Interval],
) -> PersonFreeBusy:
    return PersonFreeBusy(
        person_id=person_id,
        calendar=status,
        provider=provider,
        reason=reason,
        busy=[BusyInterval(start=i.start, end=i.end) for i in busy],
    )


def _cached_intervals(row: BusyCache) -> list[Interval]:
    return [Interval(datetime.fromisoformat(s), datetime.fromisoformat(e)) for s, e in row.busy]


async def free_busy(session: AsyncSession, calendars: Calendars, query: FreeBusyQuery) -> FreeBusy:
    """Busy times per person over the window; the calendars not in the cache are read at once, each
    within the read budget."""
    now = datetime.now(UTC)
    window = Interval(utc(query.start), utc(query.end))
    connections = await repository.calendar_connections(session, query.person_ids)
    cache = await repository.cached_busy(session, query.person_ids)
    fresh_after = now - timedelta(seconds=calendars.settings.busy_cache_seconds)
    answers: dict[UUID, PersonFreeBusy] = {}
    to_read: list[tuple[UUID, UUID, Provider]] = []
    for person_id in query.person_ids:
        connection = connections.get(person_id)
        if connection is None:
            answers[person_id] = _answer(person_id, CalendarStatus.UNVERIFIED, None, Reason.NOT_CONNECTED, [])
            continue
        provider = Provider(connection.provider)
        if connection.status == ConnectionStatus.NEEDS_REAUTH:
            answers[person_id] = _answer(person_id, CalendarStatus.UNKNOWN, provider, Reason.NEEDS_REAUTH, [])
            continue
        cached = cache.get(person_id)
        if (
            cached is not None
            and cached.connection_id == connection.id
            and cached.fetched_at > fresh_after
            and covers(Interval(cached.window_start, cached.window_end), window)
        ):
            busy = merge_clipped(_cached_intervals(cached), window.start, window.end)
            answers[person_id] = _answer(person_id, CalendarStatus.VERIFIED, provider, None, busy)
            continue
        to_read.append((person_id, connection.id, provider))
    # The reads run side by side, without the session (one session is never shared between tasks).
    results = await asyncio.gather(*(calendars.read_busy(c, p, window) for _, c, p in to_read))
    for (person_id, connection_id, provider), result in zip(to_read, results, strict=True):
        if isinstance(result, Reason):
            answers[person_id] = _answer(person_id, CalendarStatus.UNKNOWN, provider, result, [])
            continue
        busy = merge_clipped(result, window.start, window.end)
        await repository.store_busy(session, person_id, connection_id, window, busy, now)
        answers[person_id] = _answer(person_id, CalendarStatus.VERIFIED, provider, None, busy)
    return FreeBusy(people=[answers[p] for p in query.person_ids])
