"""Change notifications: Google watch channels and Microsoft Graph subscriptions, one per calendar
connection; created on connect, renewed before expiry, checked on every notification.

A notification clears the person's busy cache, reads their calendar again over the window of their
booked sessions and emits `CalendarBusyChanged` with the new busy times (never titles or attendees).
The webhook endpoints take no token: the channel token (Google) or `clientState` (Graph), a random
secret the gateway gave the provider and keeps only hashed, is the check.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_gateway.calendars import repository
from tandem_gateway.calendars.domain import Provider, Reason, merge_clipped, sessions_window
from tandem_gateway.calendars.providers import ProviderError, Watch
from tandem_gateway.calendars.runtime import GOOGLE_PATH, GRAPH_LIFECYCLE_PATH, GRAPH_PATH, Calendars
from tandem_gateway.calendars.schemas import GraphNotification
from tandem_gateway.events import BusyTime, CalendarBusyChanged
from tandem_gateway.models import CalendarWatch, ExternalConnection
from tandem_kit.errors import Forbidden, NotFound
from tandem_kit.events import emit

log = structlog.get_logger("tandem.gateway.calendars")


class UnknownChannel(NotFound):
    code, title = "unknown-channel", "Unknown notification channel"


class ChannelTokenMismatch(Forbidden):
    code, title = "channel-token-mismatch", "The notification's channel token or clientState is wrong"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _matches(given: str | None, watch: CalendarWatch) -> bool:
    return given is not None and hmac.compare_digest(_digest(given), watch.secret_sha256)


# -- channels ---------------------------------------------------------------------------------------


async def open_channel(
    session: AsyncSession, calendars: Calendars, connection: ExternalConnection
) -> CalendarWatch:
    """A new watch channel (Google) or subscription (Graph) for the connection's calendar."""
    assert connection.person_id is not None
    provider = Provider(connection.provider)
    secret = secrets.token_urlsafe(32)
    watch_id = uuid.uuid4()
    ttl = calendars.settings.channel_ttl_seconds

    async def create(token: str) -> Watch:
        if provider is Provider.GOOGLE:
            return await calendars.api.google_watch(
                token, watch_id, calendars.webhook(GOOGLE_PATH), secret, ttl
            )
        return await calendars.api.graph_subscribe(
            token,
            notification_url=calendars.webhook(GRAPH_PATH),
            lifecycle_url=calendars.webhook(GRAPH_LIFECYCLE_PATH),
            client_state=secret,
            expires_at=datetime.now(UTC) + timedelta(seconds=ttl),
        )

    made = await calendars.call(connection.id, provider, create)
    watch = CalendarWatch(
        id=watch_id,
        connection_id=connection.id,
        person_id=connection.person_id,
        provider=provider.value,
        external_id=made.external_id,
        secret_sha256=_digest(secret),
        expires_at=made.expires_at,
    )
    session.add(watch)
    await session.flush()
    log.info("calendars.channel.opened", provider=provider.value, connection_id=str(connection.id))
    return watch


async def close_channel(session: AsyncSession, calendars: Calendars, watch: CalendarWatch) -> None:
    """Stop the channel at the provider where the grant still allows it, and forget it."""
    provider = Provider(watch.provider)
    try:
        if provider is Provider.GOOGLE:
            await calendars.call(
                watch.connection_id,
                provider,
                lambda token: calendars.api.google_stop(token, watch.id, watch.external_id),
            )
        else:
            await calendars.call(
                watch.connection_id,
                provider,
                lambda token: calendars.api.graph_unsubscribe(token, watch.external_id),
            )
    except Exception as exc:
        # A broken grant cannot stop its channel; the provider lets it expire on its own.
        log.info("calendars.channel.stop_failed", provider=provider.value, error_type=type(exc).__name__)
    await session.delete(watch)
    await session.flush()


async def renew_channel(
    session: AsyncSession, calendars: Calendars, watch: CalendarWatch
) -> CalendarWatch | None:
    """Extend a channel before it expires. Google channels cannot be extended: a new one is opened,
    then the old one stopped. A Graph subscription is PATCHed (which also reauthorizes it); one the
    provider no longer knows is made again."""
    connection = await repository.connection(session, watch.connection_id)
    if connection is None or connection.status != "active":
        await close_channel(session, calendars, watch)
        return None
    if watch.provider == Provider.GOOGLE.value:
        fresh = await open_channel(session, calendars, connection)
        await close_channel(session, calendars, watch)
        return fresh
    expires = datetime.now(UTC) + timedelta(seconds=calendars.settings.channel_ttl_seconds)
    try:
        renewed = await calendars.call(
            watch.connection_id,
            Provider.MICROSOFT,
            lambda token: calendars.api.graph_renew(token, watch.external_id, expires),
        )
    except ProviderError as exc:
        if exc.status != 404:
            raise
        await session.delete(watch)
        return await open_channel(session, calendars, connection)
    watch.expires_at = renewed.expires_at
    await session.flush()
    return watch


async def open_on_connect(session: AsyncSession, calendars: Calendars, connection_id: UUID) -> None:
    """A newly connected calendar gets its channel (a reconnect replaces the old one)."""
    connection = await repository.connection(session, connection_id)
    if connection is None or connection.status != "active":
        return
    for old in await repository.watches_of_connection(session, connection_id):
        await close_channel(session, calendars, old)
    await open_channel(session, calendars, connection)


async def close_on_break(session: AsyncSession, calendars: Calendars, connection_id: UUID) -> None:
    for watch in await repository.watches_of_connection(session, connection_id):
        await close_channel(session, calendars, watch)


async def renew_due(calendars: Calendars) -> int:
    """One round of the renewal task: renew channels expiring within the margin, open missing ones
    (a connection whose channel could not be made at connect time). One transaction per channel."""
    sessionmaker = calendars.sessionmaker
    margin = timedelta(seconds=calendars.settings.renew_before_seconds)
    async with sessionmaker() as session:
        due = [w.id for w in await repository.watches_expiring(session, datetime.now(UTC) + margin)]
        watched = await repository.watched_connection_ids(session)
        missing = [c.id for c in await repository.active_calendar_connections(session) if c.id not in watched]
    done = 0
    for watch_id in due:
        async with sessionmaker() as session, session.begin():
            watch = await repository.watch_of(session, watch_id)
            if watch is not None and await _try(renew_channel(session, calendars, watch), watch.provider):
                done += 1
    for connection_id in missing:
        async with sessionmaker() as session, session.begin():
            connection = await repository.connection(session, connection_id)
            if connection is not None and await _try(
                open_channel(session, calendars, connection), connection.provider
            ):
                done += 1
    return done


async def _try(step: Awaitable[object], provider: str) -> bool:
    try:
        await step
    except Exception as exc:
        log.warning("calendars.channel.renew_failed", provider=provider, error_type=type(exc).__name__)
        return False
    return True


# -- notifications ----------------------------------------------------------------------------------


async def refresh_person(
    session: AsyncSession, calendars: Calendars, person_id: UUID, connection_id: UUID, provider: Provider
) -> CalendarBusyChanged | None:
    """The calendar changed: drop the cached busy times, read the calendar's events again over the window
    of the person's booked sessions, leave out the events Tandem wrote for its own sessions, and tell
    scheduling the busy times of the rest (`CalendarBusyChanged`)."""
    await repository.forget_busy(session, person_id)
    now = datetime.now(UTC)
    window = sessions_window(await repository.booked_sessions(session, person_id, now), now)
    if window is None:
        return None
    result = await calendars.read_events(connection_id, provider, window)
    if isinstance(result, Reason):
        # The next free/busy read tries again; scheduling hears of the change with the next notification.
        log.warning("calendars.notification.unread", provider=provider.value, reason=result.value)
        return None
    # The sessions' own events are left out: merged with them, a meeting wholly inside a session
    # would vanish into the session's interval and never be seen as a conflict.
    own = await repository.own_event_keys(session, person_id)
    busy = merge_clipped((i for key, i in result if key not in own), window.start, window.end)
    await repository.store_busy(session, person_id, connection_id, window, busy, now)
    event = CalendarBusyChanged(
        person_id=person_id,
        provider=provider.value,
        window_start=window.start,
        window_end=window.end,
        busy=[BusyTime(start=i.start, end=i.end) for i in busy],
        changed_at=now,
    )
    await emit(session, event)
    return event


async def on_google(
    session: AsyncSession, calendars: Calendars, *, channel_id: UUID, channel_token: str | None, state: str
) -> None:
    """`X-Goog-Resource-State: sync` opens every channel and carries no change (it may even arrive
    before the channel's row is committed): acknowledged, nothing done. Anything else is a change."""
    if state == "sync":
        return
    watch = await repository.watch_of(session, channel_id)
    if watch is None or watch.provider != Provider.GOOGLE.value:
        raise UnknownChannel("No such channel.")
    if not _matches(channel_token, watch):
        log.warning("calendars.notification.refused", provider="google")
        raise ChannelTokenMismatch("The channel token does not match.")
    await refresh_person(session, calendars, watch.person_id, watch.connection_id, Provider.GOOGLE)


async def _graph_watch(session: AsyncSession, note: GraphNotification) -> CalendarWatch | None:
    watch = await repository.watch_by_external_id(session, Provider.MICROSOFT, note.subscription_id)
    if watch is None or not _matches(note.client_state, watch):
        log.warning("calendars.notification.refused", provider="microsoft", known=watch is not None)
        return None
    return watch


async def on_graph(session: AsyncSession, calendars: Calendars, notes: list[GraphNotification]) -> int:
    """Change notifications; those whose clientState does not match are dropped. Returns how many
    were accepted (the endpoint refuses a POST with none)."""
    accepted: dict[UUID, CalendarWatch] = {}
    for note in notes:
        watch = await _graph_watch(session, note)
        if watch is not None:
            accepted[watch.id] = watch
    # Several changes of one calendar in one POST: one read.
    for watch in accepted.values():
        await refresh_person(session, calendars, watch.person_id, watch.connection_id, Provider.MICROSOFT)
    return len(accepted)


async def on_graph_lifecycle(
    session: AsyncSession, calendars: Calendars, notes: list[GraphNotification]
) -> int:
    """`reauthorizationRequired` → renew (PATCH reauthorizes); `subscriptionRemoved` → subscribe again;
    `missed` → resync: notifications were lost, so the calendar is read again."""
    accepted = 0
    for note in notes:
        watch = await _graph_watch(session, note)
        if watch is None:
            continue
        accepted += 1
        person_id, connection_id = watch.person_id, watch.connection_id
        if note.lifecycle_event == "reauthorizationRequired":
            await renew_channel(session, calendars, watch)
        elif note.lifecycle_event == "subscriptionRemoved":
            connection = await repository.connection(session, connection_id)
            await session.delete(watch)
            await session.flush()
            if connection is not None and connection.status == "active":
                await open_channel(session, calendars, connection)
        if note.lifecycle_event in ("subscriptionRemoved", "missed"):
            await refresh_person(session, calendars, person_id, connection_id, Provider.MICROSOFT)
    return accepted
