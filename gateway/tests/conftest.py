"""Gateway fixtures: the app on a real database, tokens, and fresh apps for tests that commit."""

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tandem_consent.app import create_app as create_consent_app
from tandem_consent.settings import Settings as ConsentSettings
from tandem_consent.testing import CONSENT_DIR
from tandem_gateway.app import create_app
from tandem_gateway.testing import GATEWAY_DIR, ISSUER, create_oauth_client, fetch_token, gateway_settings
from tandem_kit.testing import Infra, rollback_client, running


@pytest.fixture(scope="session")
async def app(infra: Infra) -> AsyncIterator[FastAPI]:
    async with running(create_app(gateway_settings(infra))) as started:
        yield started


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Every request of one test in one outer transaction, rolled back afterwards."""
    async with rollback_client(app) as c:
        yield c


TokenFactory = Callable[..., Awaitable[str]]


@pytest.fixture
async def token_for(app: FastAPI, client: httpx.AsyncClient) -> TokenFactory:
    """`await token_for("consent:read")`: a real gateway token for a new client holding those scopes."""

    async def make(*scopes: str, **form: str) -> str:
        creds = await create_oauth_client(app, *scopes)
        return await fetch_token(client, creds, **form)

    return make


@pytest.fixture
def fresh_gateway(infra: Infra) -> Callable[..., FastAPI]:
    """A gateway app on its own new database (for tests that commit: rotation, revocation, real HTTP)."""

    def make(**overrides: Any) -> FastAPI:
        url = infra.fresh_database("gateway", GATEWAY_DIR)
        return create_app(gateway_settings(infra, database_url=url, **overrides))

    return make


@pytest.fixture(scope="session")
def consent_behind(infra: Infra) -> Callable[..., FastAPI]:
    """`consent_behind(gateway_url)`: the real consent app, trusting the tokens of the gateway served
    at that URL (its JWKS and revocation list over HTTP); `nats_url` for a test with its own broker."""

    def make(gateway_url: str, *, nats_url: str | None = None) -> FastAPI:
        settings = ConsentSettings(
            environment="test",
            # A broker of its own needs an outbox of its own: another consent app on the shared
            # database would relay this one's events to the shared broker.
            database_url=(
                infra.fresh_database("consent", CONSENT_DIR)
                if nats_url
                else infra.database("consent", CONSENT_DIR)
            ),
            nats_url=nats_url or infra.nats.url,
            jwks_url=f"{gateway_url}/.well-known/jwks.json",
            revocation_list_url=f"{gateway_url}/oauth/revoked",
            token_issuer=ISSUER,
            jwks_refresh_seconds=0.5,
        )
        return create_consent_app(settings)

    return make
