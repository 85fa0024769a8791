"""Calendar sync over real HTTP: the gateway served by uvicorn (the providers call its webhooks), the
Google and Microsoft fakes served beside it, people connected through the real OAuth flow."""

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.types import ASGIApp, Receive, Scope, Send

from tandem_devstack.calendar_gateway import CalendarGateway, calendar_gateway
from tandem_gateway.calendars.settings import CalendarSyncSettings
from tandem_gateway.connections.settings import CalendarOAuthSettings
from tandem_gateway.settings import Settings
from tandem_gateway.testing import (
    GATEWAY_DIR,
    bearer,
    create_oauth_client,
    fetch_token,
    gateway_settings,
)
from tandem_kit.embedded import EmbeddedNats, free_port
from tandem_kit.events import EventEnvelope
from tandem_kit.testing import Infra

READ_TIMEOUT = 1.0


class Slowed:
    """An ASGI app answering like `app`, `delay` seconds late on the paths in `slow_paths` (or as soon
    as `released` is set: the fixture sets it at teardown, so the server's shutdown does not wait for a
    request the test has stopped caring about)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.delay = 0.0
        self.slow_paths: set[str] = set()
        self.released = asyncio.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] in self.slow_paths and self.delay:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.delay):
                    await self.released.wait()
        await self.app(scope, receive, send)


@dataclass
class Stack(CalendarGateway):
    """The shared calendar gateway (`tandem_devstack.calendar_gateway`), the Google fake served
    through `google_gate`, and what these tests ask of the gateway."""

    google_gate: Slowed
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def sessionmaker(self) -> async_sessionmaker[AsyncSession]:
        maker: async_sessionmaker[AsyncSession] = self.app.state.database.sessionmaker
        return maker

    async def token(self, *scopes: str) -> str:
        key = " ".join(scopes)
        if key not in self.tokens:
            creds = await create_oauth_client(self.app, *scopes)
            async with httpx.AsyncClient(base_url=self.url) as http:
                self.tokens[key] = await fetch_token(http, creds)
        return self.tokens[key]

    async def free_busy(self, person_ids: list[uuid.UUID], start: datetime, end: datetime) -> httpx.Response:
        token = await self.token("calendars:freebusy")
        body = {
            "person_ids": [str(p) for p in person_ids],
            "start": start.isoformat(),
            "end": end.isoformat(),
        }
        async with httpx.AsyncClient(base_url=self.url, timeout=30) as http:
            return await http.post("/api/v1/calendars/free-busy", json=body, headers=bearer(token))

    async def publish(
        self, event_type: str, data: dict[str, Any], *, event_id: uuid.UUID | None = None
    ) -> None:
        envelope = EventEnvelope(
            id=event_id or uuid.uuid4(),
            type=event_type,
            source="scheduling",
            occurred_at=datetime.now(UTC),
            data=data,
        )
        js = await self.app.state.broker.jetstream(timeout=5)
        await js.publish(f"tandem.scheduling.{event_type}", envelope.model_dump_json().encode())

    async def outbox(self, event_type: str) -> list[dict[str, Any]]:
        async with self.sessionmaker() as session:
            rows = await session.execute(
                text("SELECT payload FROM outbox_messages WHERE subject = :s ORDER BY seq"),
                {"s": f"tandem.gateway.{event_type}"},
            )
            return [row[0]["data"] for row in rows]


MakeStack = Callable[..., Awaitable[Stack]]


@pytest.fixture
def own_nats(tmp_path: Path) -> Iterator[EmbeddedNats]:
    """A broker of this test's own: the gateway's durable consumers are not shared with another
    gateway app of the session (which would take this test's events)."""
    nats = EmbeddedNats(tmp_path / "nats", free_port())
    nats.start()
    try:
        yield nats
    finally:
        nats.stop()


@pytest.fixture
async def stack(infra: Infra, own_nats: EmbeddedNats) -> AsyncIterator[Stack]:
    gates: list[Slowed] = []

    def slowed(app: ASGIApp) -> ASGIApp:
        gates.append(Slowed(app))
        return gates[-1]

    def settings(calendar_sync: CalendarSyncSettings, calendar_oauth: CalendarOAuthSettings) -> Settings:
        return gateway_settings(
            infra,
            database_url=infra.fresh_database("gateway", GATEWAY_DIR),
            nats_url=own_nats.url,
            calendar_sync=calendar_sync,
            calendar_oauth=calendar_oauth,
            outbox_poll_seconds=0.1,
            event_retry_first_seconds=0.05,
            event_retry_max_seconds=0.2,
            event_park_after_deliveries=3,
        )

    sync = {
        "read_timeout_seconds": READ_TIMEOUT,
        "write_attempts": 3,
        "write_max_wait_seconds": 3.0,
        "renew_every_seconds": 3600,
    }
    async with calendar_gateway(settings, sync=sync, google_wrapper=slowed) as gateway:
        yield Stack(gateway.app, gateway.url, gateway.google, gateway.microsoft, gateway.oauth, gates[0])
        gates[0].released.set()
