"""Calendar sync over real HTTP: the gateway served by uvicorn (the providers call its webhooks), the
Google and Microsoft fakes served beside it, people connected through the real OAuth flow."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.types import Receive, Scope, Send

from tandem_devstack.fakes import google_calendar, microsoft_graph
from tandem_devstack.fakes.google_calendar import FakeGoogleCalendar
from tandem_devstack.fakes.microsoft_graph import FakeMicrosoftGraph
from tandem_gateway.app import create_app
from tandem_gateway.calendars.settings import CalendarSyncSettings
from tandem_gateway.connections import service
from tandem_gateway.connections.domain import OAuthProviderConfig, Owner
from tandem_gateway.connections.settings import (
    CalendarOAuthSettings,
    GoogleOAuthSettings,
    MicrosoftOAuthSettings,
)
from tandem_gateway.models import CalendarWatch, ExternalConnection
from tandem_gateway.testing import (
    GATEWAY_DIR,
    bearer,
    create_oauth_client,
    fetch_token,
    gateway_settings,
    serve,
)
from tandem_kit.embedded import EmbeddedNats, free_port
from tandem_kit.events import EventEnvelope
from tandem_kit.testing import Infra, eventually

REDIRECT_URI = "https://app.tandem.test/calendar/callback"
READ_TIMEOUT = 1.0


def oauth_settings(google_url: str, microsoft_url: str) -> CalendarOAuthSettings:
    tenant = f"{microsoft_url}/{microsoft_graph.TENANT}/oauth2/v2.0"
    return CalendarOAuthSettings(
        google=GoogleOAuthSettings(
            client_id=google_calendar.CLIENT_ID,
            client_secret=SecretStr(google_calendar.CLIENT_SECRET),
            redirect_uri=REDIRECT_URI,
            authorize_url=f"{google_url}/o/oauth2/v2/auth",
            token_url=f"{google_url}/token",
            revoke_url=f"{google_url}/revoke",
        ),
        microsoft=MicrosoftOAuthSettings(
            client_id=microsoft_graph.CLIENT_ID,
            client_secret=SecretStr(microsoft_graph.CLIENT_SECRET),
            redirect_uri=REDIRECT_URI,
            authorize_url=f"{tenant}/authorize",
            token_url=f"{tenant}/token",
        ),
    )


class Slowed:
    """An ASGI app answering like `app`, `delay` seconds late on the paths in `slow_paths`."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.delay = 0.0
        self.slow_paths: set[str] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] in self.slow_paths and self.delay:
            await asyncio.sleep(self.delay)
        await self.app(scope, receive, send)


@dataclass
class Stack:
    app: FastAPI
    url: str
    google: FakeGoogleCalendar
    microsoft: FakeMicrosoftGraph
    google_gate: Slowed
    configs: dict[str, OAuthProviderConfig]
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

    async def connect(self, provider: str, person_id: uuid.UUID, login_hint: str) -> ExternalConnection:
        """The real authorization-code flow against the fake (which consents at once as `login_hint`),
        then the channel the gateway opens on `CalendarConnected`."""
        config, owner = self.configs[provider], Owner(person_id=person_id)
        async with self.sessionmaker() as session, session.begin():
            url = await service.begin_authorization(session, owner, oauth=config)
        async with httpx.AsyncClient() as browser:
            answer = await browser.get(f"{url}&{urlencode({'login_hint': login_hint})}")
        back = {k: v[0] for k, v in parse_qs(urlsplit(answer.headers["location"]).query).items()}
        async with self.sessionmaker() as session, session.begin():
            connection = await service.complete_authorization(
                session, owner, state=back["state"], code=back["code"], providers=self.configs
            )
        await eventually(lambda: self.watches(connection.id), timeout=15)
        return connection

    async def watches(self, connection_id: uuid.UUID) -> list[CalendarWatch]:
        async with self.sessionmaker() as session:
            rows = await session.scalars(
                select(CalendarWatch).where(CalendarWatch.connection_id == connection_id)
            )
            return list(rows)

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
    google, microsoft = FakeGoogleCalendar(), FakeMicrosoftGraph()
    gate = Slowed(google.app)
    async with serve(gate) as google_url, serve(microsoft.app) as microsoft_url:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        settings = gateway_settings(
            infra,
            database_url=infra.fresh_database("gateway", GATEWAY_DIR),
            nats_url=own_nats.url,
            calendar_sync=CalendarSyncSettings(
                google_api_url=google_url,
                graph_api_url=microsoft_url,
                webhook_base_url=base,
                read_timeout_seconds=READ_TIMEOUT,
                write_attempts=3,
                write_max_wait_seconds=3.0,
                renew_every_seconds=3600,
            ),
            calendar_oauth=oauth_settings(google_url, microsoft_url),
            outbox_poll_seconds=0.1,
            event_retry_first_seconds=0.05,
            event_retry_max_seconds=0.2,
            event_park_after_deliveries=3,
        )
        app = create_app(settings)
        async with serve(app, port=port) as url:
            yield Stack(app, url, google, microsoft, gate, app.state.calendar_providers)
            await google.drain()
            await microsoft.drain()
