"""Connections against the Google and Microsoft fakes, served over real HTTP, on a gateway database
of their own (`access_token` commits its refreshes)."""

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit
from uuid import UUID

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tandem_devstack.fakes import google_calendar, microsoft_graph
from tandem_devstack.fakes.google_calendar import FakeGoogleCalendar
from tandem_devstack.fakes.microsoft_graph import FakeMicrosoftGraph
from tandem_gateway.connections import service
from tandem_gateway.connections.domain import OAuthProviderConfig, Owner
from tandem_gateway.models import ExternalConnection
from tandem_gateway.testing import GATEWAY_DIR, INTERNAL_SECRET, serve
from tandem_kit.db import Database
from tandem_kit.testing import Infra

REDIRECT_URI = "https://app.tandem.test/calendar/callback"
GOOGLE_SCOPES = (
    "https://www.googleapis.com/auth/calendar.freebusy",
    "https://www.googleapis.com/auth/calendar.events.owned",
)
MICROSOFT_SCOPES = ("offline_access", "User.Read", "Calendars.ReadWrite")


def google_config(base: str, **overrides: Any) -> OAuthProviderConfig:
    values: dict[str, Any] = {
        "provider": "google",
        "authorize_url": f"{base}/o/oauth2/v2/auth",
        "token_url": f"{base}/token",
        "revoke_url": f"{base}/revoke",
        "client_id": google_calendar.CLIENT_ID,
        "client_secret": SecretStr(google_calendar.CLIENT_SECRET),
        "scopes": GOOGLE_SCOPES,
        "redirect_uri": REDIRECT_URI,
        "sealing_secret": SecretStr(INTERNAL_SECRET),
        "extra_authorize_params": {"access_type": "offline", "prompt": "consent"},
    }
    return OAuthProviderConfig(**{**values, **overrides})


def microsoft_config(base: str, **overrides: Any) -> OAuthProviderConfig:
    tenant = f"{base}/{microsoft_graph.TENANT}/oauth2/v2.0"
    values: dict[str, Any] = {
        "provider": "microsoft",
        "authorize_url": f"{tenant}/authorize",
        "token_url": f"{tenant}/token",
        "revoke_url": None,
        "client_id": microsoft_graph.CLIENT_ID,
        "client_secret": SecretStr(microsoft_graph.CLIENT_SECRET),
        "scopes": MICROSOFT_SCOPES,
        "redirect_uri": REDIRECT_URI,
        "sealing_secret": SecretStr(INTERNAL_SECRET),
        "extra_authorize_params": {"prompt": "select_account"},
    }
    return OAuthProviderConfig(**{**values, **overrides})


@dataclass
class Served:
    google: FakeGoogleCalendar
    microsoft: FakeMicrosoftGraph
    google_url: str
    microsoft_url: str

    @property
    def configs(self) -> dict[str, OAuthProviderConfig]:
        return {"google": google_config(self.google_url), "microsoft": microsoft_config(self.microsoft_url)}


@pytest.fixture
async def fakes() -> AsyncIterator[Served]:
    google, microsoft = FakeGoogleCalendar(), FakeMicrosoftGraph()
    async with serve(google.app) as google_url, serve(microsoft.app) as microsoft_url:
        yield Served(google, microsoft, google_url, microsoft_url)


@pytest.fixture
async def sessionmaker(infra: Infra) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    database = Database(infra.fresh_database("gateway", GATEWAY_DIR), pool_size=12)
    try:
        yield database.sessionmaker
    finally:
        await database.dispose()


async def consent_at(
    authorize_url: str, login_hint: str, *, redirect_uri: str = REDIRECT_URI
) -> dict[str, str]:
    """The browser's part: open the provider's authorize URL (the fake consents at once as
    `login_hint`) and read the code and state from the redirect back to us."""
    sep = "&" if "?" in authorize_url else "?"
    async with httpx.AsyncClient() as browser:
        answer = await browser.get(f"{authorize_url}{sep}{urlencode({'login_hint': login_hint})}")
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == redirect_uri
    return {k: v[0] for k, v in parse_qs(back.query).items()}


Connect = Callable[..., Any]


async def connect(
    sessionmaker: async_sessionmaker[AsyncSession],
    config: OAuthProviderConfig,
    person: UUID,
    login_hint: str,
) -> ExternalConnection:
    owner = Owner(person_id=person)
    async with sessionmaker() as session, session.begin():
        url = await service.begin_authorization(session, owner, oauth=config)
    back = await consent_at(url, login_hint, redirect_uri=config.redirect_uri)
    async with sessionmaker() as session, session.begin():
        return await service.complete_authorization(
            session, owner, state=back["state"], code=back["code"], providers={config.provider: config}
        )


async def expire_locally(sessionmaker: async_sessionmaker[AsyncSession], connection_id: UUID) -> None:
    """Time passes: the stored access token is past its expiry."""
    async with sessionmaker() as session, session.begin():
        await session.execute(
            update(ExternalConnection)
            .where(ExternalConnection.id == connection_id)
            .values(expires_at=text("now() - interval '1 minute'"))
        )


async def reload(sessionmaker: async_sessionmaker[AsyncSession], connection_id: UUID) -> ExternalConnection:
    async with sessionmaker() as session:
        found = (
            await session.scalars(select(ExternalConnection).where(ExternalConnection.id == connection_id))
        ).one()
        return found


async def outbox(sessionmaker: async_sessionmaker[AsyncSession], event_type: str) -> list[dict[str, Any]]:
    async with sessionmaker() as session:
        rows = await session.execute(
            text("SELECT payload FROM outbox_messages WHERE subject = :s ORDER BY seq"),
            {"s": f"tandem.gateway.{event_type}"},
        )
        return [row[0]["data"] for row in rows]


async def bearer_at(config: OAuthProviderConfig, login_hint: str, *, scopes: tuple[str, ...] = ()) -> str:
    """An access token straight from a fake (authorization code with PKCE), for testing its API."""
    client = service.oauth_client(config)
    verifier = "v" * 64
    async with client:
        url, _ = client.create_authorization_url(
            config.authorize_url,
            code_verifier=verifier,
            scope=" ".join(scopes or config.scopes),
            **dict(config.extra_authorize_params),
        )
        back = await consent_at(url, login_hint, redirect_uri=config.redirect_uri)
        token = await client.fetch_token(
            config.token_url, code=back["code"], code_verifier=verifier, redirect_uri=config.redirect_uri
        )
    return str(token["access_token"])


@dataclass
class Receiver:
    """A notification endpoint served over HTTP: records what arrives, echoes Graph's validation."""

    received: list[tuple[dict[str, str], bytes]]
    url: str
    echo_validation: bool = True


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse, Response
    from starlette.routing import Route

    state = Receiver([], "")

    async def hook(request: Request) -> Response:
        token = request.query_params.get("validationToken")
        if token is not None:
            if not state.echo_validation:
                return Response(status_code=500)
            return PlainTextResponse(token)
        state.received.append((dict(request.headers), await request.body()))
        return Response(status_code=202)

    async with serve(Starlette(routes=[Route("/hook", hook, methods=["POST"])])) as url:
        state.url = f"{url}/hook"
        yield state
