"""Directory fixtures: a session inside the test's rolled-back transaction, and the outbox it wrote."""

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.events import outbox_messages
from tandem_kit.testing import sessionmaker_of


@pytest.fixture
async def session(app: FastAPI, client: httpx.AsyncClient) -> AsyncIterator[AsyncSession]:
    """A session on the test's outer transaction (rolled back after the test), like a request's."""
    del client
    async with sessionmaker_of(app)() as s:
        yield s


Outbox = Callable[[], Awaitable[list[dict[str, Any]]]]


@pytest.fixture
def outbox(session: AsyncSession) -> Outbox:
    """`await outbox()`: the envelopes this test wrote to the gateway's outbox, oldest first."""

    async def read() -> list[dict[str, Any]]:
        statement = select(outbox_messages.c.payload).order_by(outbox_messages.c.seq)
        return [row.payload for row in (await session.execute(statement)).all()]

    return read
