"""Gateway fixtures: the app on a real database, tokens, and fresh apps for tests that commit."""

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tandem_gateway.app import create_app
from tandem_gateway.testing import GATEWAY_DIR, create_oauth_client, fetch_token, gateway_settings
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
