"""The real gateway served over HTTP with the Google Calendar and Microsoft Graph fakes served beside
it, people connected through the real authorization-code flow: what the gateway's calendar tests,
scheduling's tests and `bench/slot_search.py` all run against (one copy, here)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from starlette.types import ASGIApp

from tandem_devstack import calendar_fakes
from tandem_devstack.fakes.google_calendar import FakeGoogleCalendar
from tandem_devstack.fakes.microsoft_graph import FakeMicrosoftGraph
from tandem_gateway.app import create_app
from tandem_gateway.calendars.settings import CalendarSyncSettings
from tandem_gateway.connections import service as connections
from tandem_gateway.connections.domain import OAuthProviderConfig, Owner
from tandem_gateway.connections.settings import (
    CalendarOAuthSettings,
)
from tandem_gateway.models import CalendarWatch, ExternalConnection
from tandem_gateway.settings import Settings
from tandem_gateway.testing import serve
from tandem_kit.embedded import free_port
from tandem_kit.testing import eventually

REDIRECT_URI = "https://app.tandem.test/calendar/callback"

SettingsFactory = Callable[[CalendarSyncSettings, CalendarOAuthSettings], Settings]
"""`settings(calendar_sync, calendar_oauth)`: the gateway's settings around its calendar parts."""


def oauth_settings(google_url: str, microsoft_url: str) -> CalendarOAuthSettings:
    """The gateway's OAuth app registrations at the two fakes."""
    return CalendarOAuthSettings(**calendar_fakes.registrations(google_url, microsoft_url, REDIRECT_URI))


@dataclass
class CalendarGateway:
    """The served gateway (`app` at `url`), the two fakes it reads, and its OAuth configs."""

    app: FastAPI
    url: str
    google: FakeGoogleCalendar
    microsoft: FakeMicrosoftGraph
    oauth: dict[str, OAuthProviderConfig]

    async def connect(self, provider: str, person_id: uuid.UUID, login: str) -> ExternalConnection:
        """The real authorization-code flow against the fake (which consents at once as `login`),
        then the change-notification channel the gateway opens on `CalendarConnected`."""
        owner, maker = Owner(person_id=person_id), self.app.state.database.sessionmaker
        async with maker() as session, session.begin():
            url = await connections.begin_authorization(session, owner, oauth=self.oauth[provider])
        async with httpx.AsyncClient() as browser:
            answer = await browser.get(f"{url}&{urlencode({'login_hint': login})}")
        back = {k: v[0] for k, v in parse_qs(urlsplit(answer.headers["location"]).query).items()}
        async with maker() as session, session.begin():
            connection: ExternalConnection = await connections.complete_authorization(
                session, owner, state=back["state"], code=back["code"], providers=self.oauth
            )
        await eventually(lambda: self.watches(connection.id), timeout=15)
        return connection

    async def watches(self, connection_id: uuid.UUID) -> list[CalendarWatch]:
        async with self.app.state.database.sessionmaker() as session:
            rows = await session.scalars(
                select(CalendarWatch).where(CalendarWatch.connection_id == connection_id)
            )
            return list(rows)

    def busy(self, provider: str, login: str, start: datetime, end: datetime) -> None:
        """A meeting in the person's calendar at the fake (which notifies the gateway's webhook)."""
        if provider == "google":
            self.google.put_event(
                login,
                {
                    "summary": "Board meeting",
                    "start": {"dateTime": iso(start)},
                    "end": {"dateTime": iso(end)},
                },
            )
        else:
            self.microsoft.put_event(
                login,
                {
                    "subject": "Board meeting",
                    "showAs": "busy",
                    "start": {
                        "dateTime": start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
                        "timeZone": "UTC",
                    },
                    "end": {"dateTime": end.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
                },
            )

    async def drain(self) -> None:
        """Wait until every change notification the fakes sent so far was delivered (or failed)."""
        await self.google.drain()
        await self.microsoft.drain()


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@contextlib.asynccontextmanager
async def calendar_gateway(
    settings: SettingsFactory,
    *,
    sync: Mapping[str, Any] | None = None,
    google_wrapper: Callable[[ASGIApp], ASGIApp] | None = None,
) -> AsyncIterator[CalendarGateway]:
    """Serve both fakes, then the gateway on a free port pointed at them (its webhooks included).
    `sync` overrides calendar-sync settings (timeouts, retries); `google_wrapper` serves the Google
    fake through a wrapper of the caller's (a test that slows it down)."""
    google, microsoft = FakeGoogleCalendar(), FakeMicrosoftGraph()
    google_app = google_wrapper(google.app) if google_wrapper else google.app
    async with serve(google_app) as google_url, serve(microsoft.app) as microsoft_url:
        port = free_port()
        calendar_sync = CalendarSyncSettings(
            google_api_url=google_url,
            graph_api_url=microsoft_url,
            webhook_base_url=f"http://127.0.0.1:{port}",
            **dict(sync or {}),
        )
        app = create_app(settings(calendar_sync, oauth_settings(google_url, microsoft_url)))
        async with serve(app, port=port) as url:
            gateway = CalendarGateway(app, url, google, microsoft, app.state.calendar_providers)
            yield gateway
            await gateway.drain()
