"""What calendar sync keeps for the app's lifetime: the provider client, tokens, the time budgets."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar
from uuid import UUID

import httpx
import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tandem_gateway.calendars.domain import Interval, Provider, Reason
from tandem_gateway.calendars.providers import CalendarApi, ProviderError
from tandem_gateway.calendars.settings import CalendarSyncSettings
from tandem_gateway.connections.domain import OAuthProviderConfig
from tandem_gateway.connections.service import NeedsReauth, NotConnected, access_token, expire_refused

log = structlog.get_logger("tandem.gateway.calendars")

Sessionmaker = async_sessionmaker[AsyncSession]
T = TypeVar("T")

GOOGLE_PATH = "/api/v1/calendars/notifications/google"
GRAPH_PATH = "/api/v1/calendars/notifications/microsoft"
GRAPH_LIFECYCLE_PATH = "/api/v1/calendars/notifications/microsoft/lifecycle"


class Calendars:
    def __init__(
        self,
        settings: CalendarSyncSettings,
        *,
        public_url: str,
        oauth: Mapping[str, OAuthProviderConfig],
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.settings = settings
        self.public_url = (settings.webhook_base_url or public_url).rstrip("/")
        self.oauth = oauth
        self.api = CalendarApi(
            google_url=settings.google_api_url,
            graph_url=settings.graph_api_url,
            transport=transport,
            attempts=settings.write_attempts,
            max_wait=settings.write_max_wait_seconds,
            sleep=sleep,
        )
        self._sessionmaker: Sessionmaker | None = None
        # Graph's getSchedule is asked about a mailbox address: the connection's own, learnt once.
        self._mailboxes: dict[UUID, str] = {}

    def bind(self, sessionmaker: Sessionmaker) -> None:
        self._sessionmaker = sessionmaker

    @property
    def sessionmaker(self) -> Sessionmaker:
        assert self._sessionmaker is not None, "Calendars.bind() runs at start-up"
        return self._sessionmaker

    async def aclose(self) -> None:
        await self.api.aclose()

    def webhook(self, path: str) -> str:
        return self.public_url + path

    def _config(self, provider: Provider) -> OAuthProviderConfig:
        config = self.oauth.get(provider.value)
        if config is None:
            raise NotConnected(f"No OAuth client is configured for {provider.value}.")
        return config

    async def call(self, connection_id: UUID, provider: Provider, step: Callable[[str], Awaitable[T]]) -> T:
        """`step(access_token)` with a live token of the connection (refreshed under its row lock when
        needed). A 401 means the provider dropped the token before its expiry: it is marked expired
        (`expire_refused`, so concurrent callers refresh once) and `step` runs once more."""
        config = self._config(provider)
        token = await access_token(self.sessionmaker, connection_id, oauth=config)
        try:
            return await step(token)
        except ProviderError as exc:
            if exc.status != 401:
                raise
        await expire_refused(self.sessionmaker, connection_id, token, oauth=config)
        return await step(await access_token(self.sessionmaker, connection_id, oauth=config))

    async def _busy(
        self, connection_id: UUID, provider: Provider, token: str, window: Interval
    ) -> list[Interval]:
        if provider is Provider.GOOGLE:
            return await self.api.google_busy(token, window.start, window.end)
        mailbox = self._mailboxes.get(connection_id)
        if mailbox is None:
            mailbox = self._mailboxes[connection_id] = await self.api.graph_account(token)
        return await self.api.graph_busy(token, mailbox, window.start, window.end)

    async def read_events(
        self, connection_id: UUID, provider: Provider, window: Interval
    ) -> list[tuple[str, Interval]] | Reason:
        """The busy events of one calendar over `window` (Google: event id; Graph: `transactionId` or
        id) with their times, or why they cannot be had now; the same budget and faults as `read_busy`."""

        async def step(token: str) -> list[tuple[str, Interval]]:
            if provider is Provider.GOOGLE:
                return await self.api.google_events(token, window.start, window.end)
            return await self.api.graph_events(token, window.start, window.end)

        return await self._guarded(connection_id, provider, step)

    async def read_busy(
        self, connection_id: UUID, provider: Provider, window: Interval
    ) -> list[Interval] | Reason:
        """The busy times of one calendar over `window`, or why they cannot be had right now. Never
        raises for a provider's fault, and never takes longer than the read budget."""
        return await self._guarded(
            connection_id, provider, lambda token: self._busy(connection_id, provider, token, window)
        )

    async def _guarded(
        self, connection_id: UUID, provider: Provider, step: Callable[[str], Awaitable[T]]
    ) -> T | Reason:
        try:
            async with asyncio.timeout(self.settings.read_timeout_seconds):
                return await self.call(connection_id, provider, step)
        except TimeoutError:
            log.warning("calendars.busy.timeout", provider=provider.value, connection_id=str(connection_id))
            return Reason.TIMEOUT
        except NeedsReauth:
            return Reason.NEEDS_REAUTH
        except Exception as exc:
            # An error answer, a refused connection, an unreadable body, the token endpoint down
            # (ProviderError, httpx errors, ProviderUnavailable, ...): all the provider's fault.
            log.warning("calendars.busy.failed", provider=provider.value, error_type=type(exc).__name__)
            return Reason.PROVIDER_ERROR
