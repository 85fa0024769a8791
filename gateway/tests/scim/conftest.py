"""SCIM fixtures: a client authorised with `scim:provision`, and the outbox the test wrote."""

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from tandem_gateway.testing import bearer
from tandem_kit.events import outbox_messages
from tandem_kit.testing import sessionmaker_of

TokenFactory = Callable[..., Awaitable[str]]
Outbox = Callable[[], Awaitable[list[dict[str, Any]]]]


@pytest.fixture
async def scim(client: httpx.AsyncClient, token_for: TokenFactory) -> httpx.AsyncClient:
    """The rolled-back test client, sending a `scim:provision` token and SCIM's media type."""
    token = await token_for("scim:provision")
    client.headers.update({**bearer(token), "content-type": "application/scim+json"})
    return client


@pytest.fixture
def outbox(app: FastAPI, client: httpx.AsyncClient) -> Outbox:
    """`await outbox()`: the envelopes this test wrote to the gateway's outbox, oldest first."""
    del client

    async def read() -> list[dict[str, Any]]:
        async with sessionmaker_of(app)() as session:
            statement = select(outbox_messages.c.payload).order_by(outbox_messages.c.seq)
            return [row.payload for row in (await session.execute(statement)).all()]

    return read
