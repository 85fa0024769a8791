"""HRIS fixtures: a gateway on its own database (a sync commits, one transaction per person), the
Workday and BambooHR fakes served over real HTTP, and a connector authorized end to end."""

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import parse_qs, urlsplit
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from tandem_devstack.fakes.bamboohr import FakeBambooHR
from tandem_devstack.fakes.bamboohr import seeded as seeded_bamboohr
from tandem_devstack.fakes.workday import FakeWorkday
from tandem_devstack.fakes.workday import seeded as seeded_workday
from tandem_gateway.directory.service import find_person
from tandem_gateway.models import Person
from tandem_gateway.testing import ISSUER, bearer, create_oauth_client, fetch_token, serve
from tandem_kit.events import outbox_messages
from tandem_kit.testing import asgi_client, running, sessionmaker_of

F = TypeVar("F", FakeWorkday, FakeBambooHR)


@dataclass
class Served(Generic[F]):
    fake: F
    url: str


@pytest.fixture
async def gateway(fresh_gateway: Callable[..., FastAPI]) -> AsyncIterator[FastAPI]:
    # Pages of two workers, so a Workday sync pages; no background scheduler racing the test's syncs.
    app = fresh_gateway(hris={"scheduler_enabled": False, "page_size": 2})
    async with running(app) as started:
        yield started


@pytest.fixture
async def http(gateway: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(gateway) as client:
        yield client


@pytest.fixture
async def admin(gateway: FastAPI, http: httpx.AsyncClient) -> dict[str, str]:
    return bearer(await fetch_token(http, await create_oauth_client(gateway, "admin")))


@pytest.fixture
async def workday() -> AsyncIterator[Served[FakeWorkday]]:
    fake = seeded_workday()
    async with serve(fake.app) as url:
        yield Served(fake, url)


@pytest.fixture
async def bamboohr() -> AsyncIterator[Served[FakeBambooHR]]:
    fake = seeded_bamboohr()
    async with serve(fake.app) as url:
        yield Served(fake, url)


async def connect(http: httpx.AsyncClient, admin: dict[str, str], served: Served[Any], vendor: str) -> str:
    """Create a connector for the fake and authorize it as an admin would: open the authorize URL, and
    post the `code` and `state` the HRIS redirects back with (what the admin console does)."""
    created = await http.post(
        "/api/v1/admin/hris/connectors",
        json={
            "name": f"{vendor}-acme",
            "vendor": vendor,
            "tenant": "acme",
            "api_base_url": served.url,
            "client_id": served.fake.oauth.client_id,
            "client_secret": served.fake.oauth.client_secret,
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text
    connector_id: str = created.json()["id"]
    started = await http.post(f"/api/v1/admin/hris/connectors/{connector_id}/authorize", headers=admin)
    assert started.status_code == 200, started.text
    async with httpx.AsyncClient() as browser:
        sent_back = await browser.get(started.json()["authorize_url"])
    assert sent_back.status_code == 302
    location = urlsplit(sent_back.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{ISSUER}/admin/hris/callback"
    query = {k: v[0] for k, v in parse_qs(location.query).items()}
    done = await http.post(
        f"/api/v1/admin/hris/connectors/{connector_id}/callback",
        json={"state": query["state"], "code": query["code"]},
        headers=admin,
    )
    assert done.status_code == 200, done.text
    assert done.json()["connection_status"] == "active"
    return connector_id


Sync = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
def sync(http: httpx.AsyncClient, admin: dict[str, str]) -> Sync:
    """`await sync(connector_id, full=False)`: POST .../sync, the finished run."""

    async def run(connector_id: str, *, full: bool = False) -> dict[str, Any]:
        response = await http.post(
            f"/api/v1/admin/hris/connectors/{connector_id}/sync",
            params={"full": "true"} if full else {},
            headers=admin,
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    return run


async def person(app: FastAPI, external_id: str) -> Person:
    async with sessionmaker_of(app)() as session:
        found = await find_person(session, external_id=external_id)
    assert found is not None, external_id
    return found


async def hr_events(app: FastAPI) -> list[dict[str, Any]]:
    """The gateway's Person* events in the outbox, oldest first."""
    statement = (
        select(outbox_messages.c.payload)
        .where(outbox_messages.c.subject.like("tandem.gateway.Person%"))
        .order_by(outbox_messages.c.seq)
    )
    async with sessionmaker_of(app)() as session:
        return [row.payload for row in (await session.execute(statement)).all()]


def person_ids(events: list[dict[str, Any]], kind: str) -> list[UUID]:
    return [UUID(e["data"]["person_id"]) for e in events if e["type"] == kind]
