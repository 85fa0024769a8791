import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import delete

from tandem_analytics.app import create_app
from tandem_analytics.fact.consumers import analytics_consent
from tandem_analytics.models import ConsentPeriod, KpiPublication
from tandem_analytics.settings import Settings
from tandem_analytics.telemetry.domain import signature
from tandem_consent.testing import consent_client, running_consent
from tandem_kit.events import EventConsumer, EventEnvelope
from tandem_kit.testing import Infra, TestKeys, rollback_client, running, sessionmaker_of

SERVICE_DIR = Path(__file__).resolve().parents[1]
# Requests in these tests wait for consent's own receipt and analytics' one only.
DSR_SERVICES = ["consent", "analytics"]
# The default participant of `session_event`: lets vendors share data about them (granted at start).
SHARING_PARTICIPANT = uuid.UUID("00000000-0000-4000-8000-00000000c0de")


@pytest.fixture(scope="session")
async def consent_app(infra: Infra) -> AsyncIterator[FastAPI]:
    """The real consent service, in process, on its own database (never a fake of our own service)."""
    async with running_consent(infra, dsr_services=DSR_SERVICES) as started:
        yield started


@pytest.fixture(scope="session")
async def app(infra: Infra, consent_app: FastAPI) -> AsyncIterator[FastAPI]:
    settings = Settings(
        environment="test",
        database_url=infra.database("analytics", SERVICE_DIR),
        nats_url=infra.nats.url,
    )
    # The production client asks for consent:receipt only; so does this one.
    consent = consent_client(infra, consent_app, "analytics", "consent:receipt")
    analytics = create_app(settings, token_verifier=infra.keys.verifier("analytics"), consent=consent)
    async with running(analytics) as started:
        await share(started, SHARING_PARTICIPANT)
        yield started
    await consent.aclose()


@pytest.fixture
async def kpis_alone(app: FastAPI) -> None:
    """KPIs computed in this worker's shared database count only this test's people: the analytics
    consent periods other tests committed are cleared (a KPI counts a person only under one). A
    program's figure is compared with all programs (differencing), so other tests' people would
    otherwise decide whether it is published. Request it before committing the test's own facts."""
    async with sessionmaker_of(app)() as session, session.begin():
        await session.execute(delete(ConsentPeriod))
        await session.execute(delete(KpiPublication))  # what other tests published for all programs


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Every request of one test in one outer transaction, rolled back afterwards."""
    async with rollback_client(app) as c:
        yield c


@dataclass(frozen=True)
class RegisteredVendor:
    id: str
    secret: str

    @property
    def events_url(self) -> str:
        return f"/api/v1/analytics/vendors/{self.id}/events"

    @property
    def batch_url(self) -> str:
        return f"/api/v1/analytics/vendors/{self.id}/events:batch"


async def register_vendor(client: httpx.AsyncClient, keys: TestKeys, **fields: Any) -> RegisteredVendor:
    resp = await client.post(
        "/api/v1/analytics/vendors",
        json={"name": f"vendor-{uuid.uuid4().hex[:8]}", **fields},
        headers=keys.headers("admin"),
    )
    assert resp.status_code == 201, resp.text
    return RegisteredVendor(id=resp.json()["id"], secret=resp.json()["secret"])


@pytest.fixture
async def vendor(client: httpx.AsyncClient, keys: TestKeys) -> RegisteredVendor:
    return await register_vendor(client, keys)


def sign(
    secret: str,
    payload: Any,
    *,
    msg_id: str | None = None,
    timestamp: int | None = None,
    keys: TestKeys | None = None,
) -> tuple[bytes, dict[str, str]]:
    """A body and the Standard Webhooks headers (plus a bearer token when `keys` is given)."""
    body = json.dumps(payload).encode()
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    ts = int(time.time()) if timestamp is None else timestamp
    headers = {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(ts),
        "webhook-signature": signature(secret, msg_id, ts, body),
    }
    if keys is not None:
        headers |= keys.headers("analytics:ingest")
    return body, headers


async def share(app: FastAPI, *people: uuid.UUID, granted: bool = True) -> None:
    """Grant (or withdraw) the people's `vendor_sharing` consent, as consent's event would."""
    kind, field = ("ConsentGranted", "granted_at") if granted else ("ConsentWithdrawn", "withdrawn_at")
    at = datetime.now(UTC) - timedelta(days=30 if granted else 0)
    for person in people:
        data = {
            "person_id": str(person),
            "purpose": "vendor_sharing",
            "notice_version": 1,
            field: at.isoformat(),
        }
        event = EventEnvelope(id=uuid.uuid4(), type=kind, source="consent", occurred_at=at, data=data)
        assert await EventConsumer(app.state.broker, sessionmaker_of(app), analytics_consent).apply(event)


def session_event(type_: str = "session.completed", **data: Any) -> dict[str, Any]:
    """A valid vendor event; its participant (unless given) has granted `vendor_sharing`."""
    base: dict[str, Any] = {
        "vendor_session_id": f"vs-{uuid.uuid4().hex[:8]}",
        "participant_id": str(SHARING_PARTICIPANT),
        "provider_id": str(uuid.uuid4()),
        "started_at": "2026-11-20T09:00:00+00:00",
        "duration_minutes": 55,
    }
    if type_ == "session.completed":
        base["rating"] = 5
    return {"type": type_, "data": {**base, **data}}


@pytest.fixture
def signed() -> Callable[..., tuple[bytes, dict[str, str]]]:
    """`signed(secret, payload, msg_id=..., timestamp=..., keys=...)` -> (body, headers)."""
    return sign


@pytest.fixture
def share_with_vendors() -> Callable[..., Awaitable[None]]:
    """`await share_with_vendors(app, *people, granted=True)`: their `vendor_sharing` consent."""
    return share


@pytest.fixture
def event() -> Callable[..., dict[str, Any]]:
    """`event(type, **data)` -> a valid vendor event body."""
    return session_event


@pytest.fixture
def new_vendor(keys: TestKeys) -> Callable[..., Any]:
    """`await new_vendor(client, **fields)` -> RegisteredVendor."""

    async def make(client: httpx.AsyncClient, **fields: Any) -> RegisteredVendor:
        return await register_vendor(client, keys, **fields)

    return make
