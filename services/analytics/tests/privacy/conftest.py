"""Factories for the privacy tests: facts arrive through analytics' own event consumers, telemetry
through the signed vendor webhook, requests through the real consent service's REST API. Everything
commits (the broker must see it), so every test uses fresh ids."""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from tandem_analytics.fact.consumers import analytics_consent, matching_facts, scheduling_facts
from tandem_analytics.models import (
    EngagementFact,
    MatchFact,
    ProviderFact,
    SessionFact,
    SessionTelemetry,
    SlaFact,
    VendorSessionOutcome,
)
from tandem_consent.testing import consent_events
from tandem_kit.events import EventConsumer, EventEnvelope, Subscription
from tandem_kit.testing import TestKeys, asgi_client, eventually, sessionmaker_of

REQUESTS = "/api/v1/consent/data-subject-requests"
RETENTION_RUNS = "/api/v1/consent/retention-runs"
SUBSCRIPTION = "analytics-data-subject-requests"


@dataclass(frozen=True)
class Provider:
    person_id: UUID
    provider_id: UUID


@dataclass(frozen=True)
class Coaching:
    """One participant coached by one provider: match, engagement, kickoff session, vendor outcome."""

    participant: UUID
    provider: Provider
    match_id: UUID
    engagement_id: UUID
    session_id: UUID
    vendor_session_id: str


@dataclass
class Program:
    """A program seeded through analytics' public doors (event consumers and the vendor webhook)."""

    app: FastAPI
    http: httpx.AsyncClient
    keys: TestKeys
    vendor_id: str
    vendor_secret: str
    signed: Any
    share: Any
    id: UUID = field(default_factory=uuid.uuid4)
    approved: datetime = field(default_factory=lambda: datetime.now(UTC) - timedelta(days=20))
    # Participants grant their `analytics` consent before the approval (the KPIs count only them).
    consenting: bool = False

    async def _apply(
        self, sub: Subscription, source: str, type_: str, data: dict[str, Any], at: datetime
    ) -> None:
        env = EventEnvelope(id=uuid.uuid4(), type=type_, source=source, occurred_at=at, data=data)
        assert await EventConsumer(self.app.state.broker, sessionmaker_of(self.app), sub).apply(env)

    async def rows(self, model: Any, *where: Any) -> list[dict[str, Any]]:
        """Committed rows of one table, as column dicts, ordered by primary key."""
        table = model.__table__
        async with sessionmaker_of(self.app)() as session:
            result = await session.execute(select(table).where(*where).order_by(*table.primary_key.columns))
            return [dict(row._mapping) for row in result]

    async def about(self, c: Coaching) -> dict[str, list[dict[str, Any]]]:
        """Every row of one coaching, found by its match, engagement and session ids."""
        return {
            "provider_facts": await self.rows(
                ProviderFact, ProviderFact.provider_id == c.provider.provider_id
            ),
            "match_facts": await self.rows(MatchFact, MatchFact.match_id == c.match_id),
            "engagement_facts": await self.rows(
                EngagementFact, EngagementFact.engagement_id == c.engagement_id
            ),
            "session_facts": await self.rows(SessionFact, SessionFact.session_id == c.session_id),
            "sla_facts": await self.rows(SlaFact, SlaFact.engagement_id == c.engagement_id),
            "session_telemetry": await self.rows(
                SessionTelemetry, SessionTelemetry.vendor_session_id == c.vendor_session_id
            ),
            "vendor_session_outcomes": await self.rows(
                VendorSessionOutcome, VendorSessionOutcome.vendor_session_id == c.vendor_session_id
            ),
        }

    async def kpis(self) -> dict[str, Any]:
        resp = await self.http.get(
            "/api/v1/analytics/kpis",
            params={"program_id": str(self.id)},
            headers=self.keys.headers("analytics:read"),
        )
        assert resp.status_code == 200, resp.text
        return {k["name"]: {f: v for f, v in k.items() if f != "computed_at"} for k in resp.json()}

    async def coach(self, *, capacity: int = 5) -> Provider:
        provider = Provider(person_id=uuid.uuid4(), provider_id=uuid.uuid4())
        data = {
            "provider_id": str(provider.provider_id),
            "person_id": str(provider.person_id),
            "program_id": str(self.id),
            "kind": "coach",
            "capacity": capacity,
        }
        await self._apply(matching_facts, "matching", "ProviderRegistered", data, self.approved)
        return provider

    async def coaching(
        self,
        provider: Provider,
        *,
        late: bool = False,
        outcome: str = "session.completed",
        rating: int = 5,
        reported_at: datetime | None = None,
    ) -> Coaching:
        """Approved on `approved` (20 days ago unless changed); kickoff booked on day 1 for day 2, or
        (late) on day 9 with a breach; the vendor's outcome says it happened at `reported_at` (now)."""
        c = Coaching(
            participant=uuid.uuid4(),
            provider=provider,
            match_id=uuid.uuid4(),
            engagement_id=uuid.uuid4(),
            session_id=uuid.uuid4(),
            vendor_session_id=f"vs-{uuid.uuid4().hex[:10]}",
        )
        ids = {
            "match_id": str(c.match_id),
            "program_id": str(self.id),
            "participant_id": str(c.participant),
            "provider_id": str(provider.provider_id),
        }
        approved, due = self.approved, self.approved + timedelta(days=7)
        if self.consenting:
            granted = {
                "person_id": str(c.participant),
                "purpose": "analytics",
                "granted_at": approved.isoformat(),
            }
            await self._apply(
                analytics_consent, "consent", "ConsentGranted", granted, approved - timedelta(days=1)
            )
        match = {
            **ids,
            "proposal_id": str(uuid.uuid4()),
            "provider_person_id": str(provider.person_id),
            "provider_kind": "coach",
            "track": "coach",
            "score": 80.0,
            "approved_at": approved.isoformat(),
        }
        await self._apply(matching_facts, "matching", "MatchApproved", match, approved)
        engagement = {**ids, "engagement_id": str(c.engagement_id), "kickoff_due_at": due.isoformat()}
        await self._apply(scheduling_facts, "scheduling", "EngagementCreated", engagement, approved)
        booked, starts = (
            approved + timedelta(days=9 if late else 1),
            approved + timedelta(days=10 if late else 2),
        )
        del ids["program_id"]
        session = {
            **ids,
            "session_id": str(c.session_id),
            "engagement_id": str(c.engagement_id),
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=1)).isoformat(),
            "kind": "kickoff",
        }
        await self._apply(scheduling_facts, "scheduling", "SessionBooked", session, booked)
        if late:
            breach = {
                "engagement_id": str(c.engagement_id),
                "match_id": str(c.match_id),
                "sla": "kickoff",
                "due_at": due.isoformat(),
                "breached_at": (due + timedelta(minutes=1)).isoformat(),
            }
            await self._apply(scheduling_facts, "scheduling", "SlaBreached", breach, due)
        await self.report(c, outcome, started_at=starts, rating=rating, reported_at=reported_at)
        return c

    async def end(self, c: Coaching, *, reason: str = "completed") -> datetime:
        """Matching's MatchEnded for the coaching's match, ended now; returns the end time."""
        ended_at = datetime.now(UTC)
        data = {
            "match_id": str(c.match_id),
            "program_id": str(self.id),
            "participant_id": str(c.participant),
            "provider_id": str(c.provider.provider_id),
            "provider_kind": "coach",
            "reason": reason,
            "ended_at": ended_at.isoformat(),
            "ended_by": "pm-1",
        }
        await self._apply(matching_facts, "matching", "MatchEnded", data, ended_at)
        return ended_at

    async def report(
        self,
        c: Coaching,
        outcome: str,
        *,
        started_at: datetime,
        rating: int = 5,
        reported_at: datetime | None = None,
    ) -> None:
        """One signed vendor message about the coaching's session (`reported_at` None: now)."""
        await self.share(self.app, c.participant)
        data: dict[str, Any] = {
            "vendor_session_id": c.vendor_session_id,
            "session_id": str(c.session_id),
            "participant_id": str(c.participant),
            "provider_id": str(c.provider.provider_id),
            "started_at": started_at.isoformat(),
            "duration_minutes": 55,
        }
        if outcome == "session.completed":
            data["rating"] = rating
        payload: dict[str, Any] = {"type": outcome, "data": data}
        if reported_at is not None:
            payload["timestamp"] = reported_at.isoformat()
        body, headers = self.signed(self.vendor_secret, payload, keys=self.keys)
        resp = await self.http.post(
            f"/api/v1/analytics/vendors/{self.vendor_id}/events", content=body, headers=headers
        )
        assert resp.status_code == 202, resp.text


@pytest.fixture
async def program(
    app: FastAPI, keys: TestKeys, signed: Any, share_with_vendors: Any, kpis_alone: None
) -> AsyncIterator[Program]:
    """A fresh program whose facts and telemetry are committed."""
    async with asgi_client(app) as http:
        resp = await http.post(
            "/api/v1/analytics/vendors",
            json={"name": f"vendor-{uuid.uuid4().hex[:8]}"},
            headers=keys.headers("admin"),
        )
        assert resp.status_code == 201, resp.text
        vendor = resp.json()
        yield Program(app, http, keys, vendor["id"], vendor["secret"], signed, share_with_vendors)


@dataclass
class Consent:
    """Data-subject requests through the real consent service."""

    app: FastAPI
    analytics: FastAPI
    keys: TestKeys

    async def open(self, person_id: UUID, kind: str) -> dict[str, Any]:
        async with asgi_client(self.app) as consent:
            resp = await consent.post(
                REQUESTS,
                json={"person_id": str(person_id), "kind": kind},
                headers=self.keys.headers("consent:read", "consent:write"),
            )
        assert resp.status_code == 201, resp.text
        body: dict[str, Any] = resp.json()
        return body

    async def get(self, request_id: str, suffix: str = "") -> dict[str, Any]:
        async with asgi_client(self.app) as consent:
            resp = await consent.get(
                f"{REQUESTS}/{request_id}{suffix}", headers=self.keys.headers("consent:read")
            )
        assert resp.status_code == 200, resp.text
        body: dict[str, Any] = resp.json()
        return body

    async def receipt(self, request_id: str) -> dict[str, Any]:
        """Analytics' receipt, once it has arrived through the broker."""

        async def arrived() -> dict[str, Any] | None:
            request = await self.get(request_id)
            return next((r for r in request["receipts"] if r["service"] == "analytics"), None)

        found: dict[str, Any] = await eventually(arrived)
        return found

    async def envelope(self, request_id: str) -> EventEnvelope:
        """The `DataSubjectRequestOpened` consent wrote to its outbox for the request."""
        (found,) = await consent_events(self.app, "DataSubjectRequestOpened", request_id=request_id)
        return found

    async def run_retention(self) -> dict[str, Any]:
        """Start a retention run as a consent administrator: consent asks each service to purge."""
        async with asgi_client(self.app) as consent:
            resp = await consent.post(
                RETENTION_RUNS, json={}, headers=self.keys.headers("consent:write", "admin")
            )
        assert resp.status_code == 201, resp.text
        body: dict[str, Any] = resp.json()
        return body

    async def purge_envelopes(self, run_id: str) -> dict[str, EventEnvelope]:
        """The `RetentionPurgeRequested` events a run wrote to consent's outbox, by category."""
        envelopes = await consent_events(self.app, "RetentionPurgeRequested", run_id=run_id)
        return {e.data["category"]: e for e in envelopes}

    def subscription(self) -> Subscription:
        """The data-subject subscription analytics runs (the same consumer name, so one dedup marker)."""
        return next(c.sub for c in self.analytics.state.consumers if c.sub.name == SUBSCRIPTION)


@pytest.fixture
def consent(consent_app: FastAPI, app: FastAPI, keys: TestKeys) -> Consent:
    return Consent(consent_app, app, keys)
