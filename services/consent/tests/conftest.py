import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from tandem_consent.app import create_app
from tandem_consent.settings import Settings
from tandem_kit.events import outbox_messages
from tandem_kit.testing import Infra, TestKeys, rollback_client, running, sessionmaker_of

SERVICE_DIR = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
async def app(infra: Infra) -> AsyncIterator[FastAPI]:
    settings = Settings(
        environment="test",
        database_url=infra.database("consent", SERVICE_DIR),
        nats_url=infra.nats.url,
        retention_interval_seconds=0,
    )
    async with running(create_app(settings, token_verifier=infra.keys.verifier("consent"))) as started:
        yield started


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Every request of one test in one outer transaction, rolled back afterwards."""
    async with rollback_client(app) as c:
        yield c


AsPerson = Callable[..., dict[str, str]]


@pytest.fixture
def as_person(keys: TestKeys) -> AsPerson:
    """Headers of a person acting through a front end (`consent:read` and `consent:write`)."""

    def headers(person_id: uuid.UUID, *roles: str) -> dict[str, str]:
        return keys.headers(
            "consent:read",
            "consent:write",
            sub=f"user-{person_id}",
            person_id=str(person_id),
            roles=list(roles),
        )

    return headers


Decide = Callable[..., Awaitable[httpx.Response]]


@pytest.fixture
def grant(client: httpx.AsyncClient, keys: TestKeys) -> Decide:
    """POST a grant for `person_id` (as a machine client unless `headers` say otherwise)."""

    async def post(
        person_id: uuid.UUID, purpose: str = "matching", *, headers: dict[str, str] | None = None, **body: Any
    ) -> httpx.Response:
        return await client.post(
            f"/api/v1/consent/people/{person_id}/consents/{purpose}/grants",
            json={"notice_version": 1, **body},
            headers=headers or keys.headers("consent:write", "consent:read"),
        )

    return post


@pytest.fixture
def withdraw(client: httpx.AsyncClient, keys: TestKeys) -> Decide:
    """POST a withdrawal for `person_id` (as a machine client unless `headers` say otherwise)."""

    async def post(
        person_id: uuid.UUID, purpose: str = "matching", *, headers: dict[str, str] | None = None, **body: Any
    ) -> httpx.Response:
        return await client.post(
            f"/api/v1/consent/people/{person_id}/consents/{purpose}/withdrawals",
            json=body,
            headers=headers or keys.headers("consent:write", "consent:read"),
        )

    return post


@pytest.fixture
def outbox(app: FastAPI, client: httpx.AsyncClient) -> Callable[..., Awaitable[list[dict[str, Any]]]]:
    """The `data` of outbox events of one type whose data match, as the test's transaction sees them."""

    async def rows(event_type: str, **data: str) -> list[dict[str, Any]]:
        statement = select(outbox_messages.c.payload).where(
            outbox_messages.c.subject == f"tandem.consent.{event_type}"
        )
        for key, value in data.items():
            statement = statement.where(outbox_messages.c.payload["data"][key].astext == value)
        async with sessionmaker_of(app)() as session:
            return [
                p["data"] for p in (await session.scalars(statement.order_by(outbox_messages.c.seq))).all()
            ]

    return rows


@pytest.fixture
def count_rows(app: FastAPI, client: httpx.AsyncClient) -> Callable[[Any], Awaitable[int]]:
    """How many rows a table has, as the test's transaction sees it."""

    async def count(table: Any) -> int:
        async with sessionmaker_of(app)() as session:
            return int(await session.scalar(select(func.count()).select_from(table)) or 0)

    return count
