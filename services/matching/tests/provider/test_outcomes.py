"""Outcomes back to matching (issue 16, item 2): analytics computes a provider's sessions and rating
median from vendor telemetry and sends `ProviderOutcomesUpdated`; matching's continuing-eligibility
gate then reads those numbers instead of the typed-in profile. Both real apps, the real broker."""

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from tandem_analytics.app import create_app as create_analytics
from tandem_analytics.fact.consumers import analytics_consent
from tandem_analytics.models import ProviderFact
from tandem_analytics.outcome.repository import changed_outcomes
from tandem_analytics.outcome.tasks import run_once
from tandem_analytics.settings import Settings as AnalyticsSettings
from tandem_analytics.telemetry.domain import signature
from tandem_consent.testing import consent_client
from tandem_kit.events import EventConsumer, EventEnvelope
from tandem_kit.testing import Infra, asgi_client, eventually, running, sessionmaker_of
from tandem_matching.models import ProviderOutcome

API = "/api/v1/matching"
ANALYTICS_DIR = Path(__file__).resolve().parents[3] / "analytics"


@pytest.fixture
async def analytics(infra: Infra, consent_app: FastAPI) -> AsyncIterator[FastAPI]:
    """The real analytics app on the worker's broker (the same database its own tests use)."""
    settings = AnalyticsSettings(
        environment="test",
        database_url=infra.database("analytics", ANALYTICS_DIR),
        nats_url=infra.nats.url,
        outcomes_every_seconds=0,  # the test runs the computation itself
    )
    consent = consent_client(infra, consent_app, "analytics", "consent:receipt")
    app = create_analytics(settings, token_verifier=infra.keys.verifier("analytics"), consent=consent)
    async with running(app) as started:
        yield started
    await consent.aclose()


async def grant(analytics: FastAPI, person: uuid.UUID, purpose: str) -> None:
    at = datetime.now(UTC) - timedelta(days=30)
    data = {"person_id": str(person), "purpose": purpose, "notice_version": 1, "granted_at": at.isoformat()}
    event = EventEnvelope(id=uuid.uuid4(), type="ConsentGranted", source="consent", occurred_at=at, data=data)
    consumer = EventConsumer(analytics.state.broker, sessionmaker_of(analytics), analytics_consent)
    assert await consumer.apply(event)


async def report(
    analytics: FastAPI, keys: Any, provider_id: str, outcomes: list[tuple[str, int | None]]
) -> None:
    """One signed vendor batch: a session per (type, rating), each with its own consenting participant."""
    async with asgi_client(analytics) as http:
        resp = await http.post(
            "/api/v1/analytics/vendors",
            json={"name": f"v-{uuid.uuid4().hex[:8]}"},
            headers=keys.headers("admin"),
        )
        vendor = resp.json()
        items = []
        for n, (kind, rating) in enumerate(outcomes):
            participant = uuid.uuid4()
            await grant(analytics, participant, "analytics")
            await grant(analytics, participant, "vendor_sharing")
            data: dict[str, Any] = {
                "vendor_session_id": f"vs-{n}",
                "participant_id": str(participant),
                "provider_id": provider_id,
                "started_at": "2026-11-20T09:00:00+00:00",
                "duration_minutes": 50,
            }
            if rating is not None:
                data["rating"] = rating
            items.append({"id": f"m-{n}", "type": kind, "data": data})
        body, ts = json.dumps(items).encode(), int(datetime.now(UTC).timestamp())
        headers = {
            "content-type": "application/json",
            "webhook-id": f"batch-{uuid.uuid4().hex}",
            "webhook-timestamp": str(ts),
            **keys.headers("analytics:ingest"),
        }
        headers["webhook-signature"] = signature(vendor["secret"], headers["webhook-id"], ts, body)
        resp = await http.post(
            f"/api/v1/analytics/vendors/{vendor['id']}/events:batch", content=body, headers=headers
        )
        assert resp.json()["accepted"] == len(outcomes), resp.text


async def test_outcomes_replace_the_typed_in_numbers(
    committed_world: Any, analytics: FastAPI, keys: Any
) -> None:
    world = committed_world
    program = await world.program()
    # Typed in: ratings 4.5, 5, 4 and 10 of 11 sessions: the continuing gate is met.
    coach = await world.coach(program)
    assert "rating_median_below_4" not in coach["ineligible_reasons"]

    async def registered_in_analytics() -> bool:
        async with sessionmaker_of(analytics)() as session:
            return await session.get(ProviderFact, uuid.UUID(coach["id"])) is not None

    assert await eventually(registered_in_analytics)  # matching's ProviderRegistered, over the broker
    # The vendor says otherwise: ratings 3, 3, 3, 4, 5 (median 3) over 5 sessions and 2 no-shows.
    ratings = [3, 3, 3, 4, 5]
    await report(
        analytics,
        keys,
        coach["id"],
        [("session.completed", r) for r in ratings] + [("session.no_show", None)] * 2,
    )

    assert await run_once(sessionmaker_of(analytics)) >= 1

    async def reasons() -> list[str]:
        resp = await world.client.get(f"{API}/providers/{coach['id']}/eligibility", headers=world.headers)
        found: list[str] = resp.json()["reasons"]
        return found

    async def gate_closed() -> bool:
        return "rating_median_below_4" in await reasons()

    assert await eventually(gate_closed)
    assert "completion_rate_below_minimum" in await reasons()  # 5 of 7 < 0.8
    async with sessionmaker_of(world.app)() as session:
        kept = await session.scalar(
            select(ProviderOutcome).where(ProviderOutcome.provider_id == uuid.UUID(coach["id"]))
        )
    assert kept is not None
    assert (kept.sessions_completed, kept.sessions_no_show, kept.rating_count, kept.rating_median) == (
        5,
        2,
        5,
        3.0,
    )
    assert kept.completion_rate == pytest.approx(5 / 7)
    # Nothing changed since: nothing is sent again for this coach.
    async with sessionmaker_of(analytics)() as session, session.begin():
        again = await changed_outcomes(session, now=datetime.now(UTC), k=5)
    assert uuid.UUID(coach["id"]) not in {row.provider_id for row in again}
