"""Matching tests run against the real consent app (in process, its own database), never a fake."""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from tandem_consent.testing import consent_client, running_consent
from tandem_kit.events import EventConsumer, EventEnvelope, outbox_messages, processed_events
from tandem_kit.testing import (
    Infra,
    TestKeys,
    asgi_client,
    eventually,
    rollback_client,
    running,
    sessionmaker_of,
)
from tandem_matching.app import create_app
from tandem_matching.directory import consumers as directory_consumers
from tandem_matching.eligibility import (
    BIAS_AWARENESS,
    CALIBRATION_REVIEW,
    CO_COACHING,
    CURRICULUM_WEEKS,
    DEMO_REVIEW,
)
from tandem_matching.provider import consumers as provider_consumers
from tandem_matching.review import consumers as review_consumers
from tandem_matching.settings import Settings

SERVICE_DIR = Path(__file__).resolve().parents[1]
API = "/api/v1/matching"
MANAGER = ("matching:read", "matching:write", "matching:decide")
OFFICE = [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(5)]
COACH_PANEL = [
    {
        "challenge_skill": 4,
        "behavioural_tools": 5,
        "confidentiality_practice": 4,
        "context_fluency": 4,
        "measurable_outcomes": 4,
    }
] * 3
MENTOR_TRAINING = [BIAS_AWARENESS, *CURRICULUM_WEEKS]
COACH_TRAINING = [DEMO_REVIEW, CO_COACHING, CALIBRATION_REVIEW]


def evidence_envelope(
    program_id: str, person_id: str, item: str, *, achieved_at: datetime | None = None, **changes: Any
) -> EventEnvelope:
    """A `TrainingEvidenceRecorded` from the gateway, as docs/contracts.md defines it."""
    data = {
        "evidence_id": str(uuid.uuid4()),
        "person_id": person_id,
        "program_id": program_id,
        "item": item,
        "statement_id": str(uuid.uuid4()),
        "verb": "passed",
        "counts": True,
        "score_scaled": 0.9,
        "achieved_at": (achieved_at or datetime.now(UTC) - timedelta(days=1)).isoformat(),
        **changes,
    }
    return EventEnvelope(
        id=uuid.uuid4(),
        type="TrainingEvidenceRecorded",
        source="gateway",
        occurred_at=datetime.now(UTC),
        data=data,
    )


async def apply_evidence(app: FastAPI, envelope: EventEnvelope) -> bool:
    """Apply one evidence event through matching's own consumer (committed, like the broker's)."""
    [recorded, retracted] = provider_consumers.subscriptions(app.state.eligibility_policy)
    subscription = recorded if envelope.type == "TrainingEvidenceRecorded" else retracted
    return await EventConsumer(app.state.broker, sessionmaker_of(app), subscription).apply(envelope)


@pytest.fixture(scope="session")
async def consent_app(infra: Infra) -> AsyncIterator[FastAPI]:
    async with running_consent(infra) as started:
        yield started


@pytest.fixture(scope="session")
async def app(infra: Infra, consent_app: FastAPI) -> AsyncIterator[FastAPI]:
    settings = Settings(
        environment="test",
        database_url=infra.database("matching", SERVICE_DIR),
        nats_url=infra.nats.url,
        eligibility_scan_seconds=0,  # tests drive the scan with their own clock
    )
    consent = consent_client(infra, consent_app, "matching", "consent:read", "consent:receipt")
    matching = create_app(settings, token_verifier=infra.keys.verifier("matching"), consent=consent)
    async with running(matching) as started:
        yield started
    await consent.aclose()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Every request of one test in one outer transaction, rolled back afterwards."""
    async with rollback_client(app) as c:
        yield c


@dataclass
class World:
    """Small typed factories that go through the real REST APIs of matching and consent."""

    client: httpx.AsyncClient
    app: FastAPI
    consent_app: FastAPI
    keys: TestKeys

    @property
    def headers(self) -> dict[str, str]:
        """A machine client of the program-management front end."""
        return self.keys.headers(*MANAGER)

    def person(
        self, person_id: uuid.UUID | str, *scopes: str, roles: tuple[str, ...] = ("participant",)
    ) -> dict[str, str]:
        """A person acting through a front end (object-level checks apply)."""
        return self.keys.headers(
            *(scopes or ("matching:read",)),
            sub=f"user-{person_id}",
            person_id=str(person_id),
            roles=list(roles),
        )

    async def outbox(self, event_type: str) -> list[dict[str, Any]]:
        """Outbox payloads of one type, in the order they were emitted."""
        async with sessionmaker_of(self.app)() as session:
            rows = await session.execute(
                select(outbox_messages.c.payload)
                .where(outbox_messages.c.subject == f"tandem.matching.{event_type}")
                .order_by(outbox_messages.c.seq)
            )
            return [row.payload for row in rows]

    async def post(self, path: str, body: dict[str, Any], *, status: int = 201) -> dict[str, Any]:
        resp = await self.client.post(API + path, json=body, headers=self.headers)
        assert resp.status_code == status, resp.text
        result: dict[str, Any] = resp.json()
        return result

    async def program(self, **changes: Any) -> dict[str, Any]:
        body = {
            "name": "AI transformation leaders",
            "tracks": ["coaching", "mentoring", "dual_track"],
            "starts_on": "2026-01-05",
            "ends_on": "2026-12-18",
            "active_leaders": 100,
            **changes,
        }
        return await self.post("/programs", body)

    async def coach(
        self,
        program: dict[str, Any],
        *,
        consent: bool | list[str] = True,
        trained: list[str] = COACH_TRAINING,
        **changes: Any,
    ) -> dict[str, Any]:
        """Register a coach; their own `matching` consent is granted through the real consent API
        unless ``consent=False`` (or only the listed fields). The evidence gates in ``trained`` are
        evidenced first, through matching's consumer of the gateway's events."""
        body = {
            "person_id": str(uuid.uuid4()),
            "kind": "coach",
            "timezone": "Europe/London",
            "working_hours": OFFICE,
            "languages": ["en"],
            "skills": {"ml_engineering": 4, "data_platforms": 3},
            "behavioural_focus": ["stakeholder_management", "decision_hygiene"],
            "calibration": COACH_PANEL,
            "ratings": [4.5, 5.0, 4.0],
            "sessions_completed": 10,
            "sessions_scheduled": 11,
            **changes,
        }
        return await self._provider(program, body, consent, trained)

    async def mentor(
        self,
        program: dict[str, Any],
        *,
        consent: bool | list[str] = True,
        trained: list[str] = MENTOR_TRAINING,
        **changes: Any,
    ) -> dict[str, Any]:
        """Register a mentor; their own `matching` consent is granted through the real consent API
        unless ``consent=False`` (or only the listed fields). The evidence gates in ``trained`` are
        evidenced first, through matching's consumer of the gateway's events."""
        body = {
            "person_id": str(uuid.uuid4()),
            "kind": "mentor",
            "timezone": "America/New_York",
            "working_hours": OFFICE,
            "languages": ["en"],
            "skills": {"ml_governance": 5},
            "behavioural_focus": ["influence"],
            "sponsorship_actions": 6,
            "promotions_sponsored": 2,
            "commitment_signed": True,
            **changes,
        }
        return await self._provider(program, body, consent, trained)

    async def _provider(
        self, program: dict[str, Any], body: dict[str, Any], consent: bool | list[str], trained: list[str]
    ) -> dict[str, Any]:
        for item in trained:
            await apply_evidence(self.app, evidence_envelope(program["id"], body["person_id"], item))
        provider = await self.post(f"/programs/{program['id']}/providers", body)
        if consent is not False:
            await self.grant(uuid.UUID(provider["person_id"]), fields=None if consent is True else consent)
        return provider

    async def intake(
        self, program: dict[str, Any], *, consent: bool | list[str] = True, **changes: Any
    ) -> dict[str, Any]:
        body = {
            "person_id": str(uuid.uuid4()),
            "triggers": ["performance_gap"],
            "timezone": "Europe/Berlin",
            "working_hours": OFFICE,
            "languages": ["en", "de"],
            "wanted_skills": {"ml_engineering": 4},
            "behavioural_goals": ["stakeholder_management"],
            **changes,
        }
        intake = await self.post(f"/programs/{program['id']}/intakes", body)
        if consent is not False:
            await self.grant(uuid.UUID(intake["person_id"]), fields=None if consent is True else consent)
        return intake

    async def grant(self, person_id: uuid.UUID, *, fields: list[str] | None = None) -> None:
        """Grant `matching` through the consent service's real API (committed: it is another service)."""
        body: dict[str, Any] = {"notice_version": 1}
        if fields is not None:
            body["fields"] = fields
        async with asgi_client(self.consent_app) as consent:
            resp = await consent.post(
                f"/api/v1/consent/people/{person_id}/consents/matching/grants",
                json=body,
                headers=self.keys.headers("consent:read", "consent:write"),
            )
        assert resp.status_code in (200, 201), resp.text

    async def withdraw(self, person_id: uuid.UUID) -> None:
        async with asgi_client(self.consent_app) as consent:
            resp = await consent.post(
                f"/api/v1/consent/people/{person_id}/consents/matching/withdrawals",
                json={},
                headers=self.keys.headers("consent:read", "consent:write"),
            )
        assert resp.status_code == 201, resp.text

    async def settled(self, person_id: uuid.UUID) -> None:
        """Wait until matching has applied every consent event about the person (no stale invalidation)."""
        async with sessionmaker_of(self.consent_app)() as session:
            ids = set(
                (
                    await session.scalars(
                        select(outbox_messages.c.id).where(
                            outbox_messages.c.payload["data"]["person_id"].astext == str(person_id)
                        )
                    )
                ).all()
            )

        async def applied() -> bool:
            async with sessionmaker_of(self.app)() as session:
                done = set(
                    (
                        await session.scalars(
                            select(processed_events.c.event_id).where(processed_events.c.event_id.in_(ids))
                        )
                    ).all()
                )
            return done == ids

        await eventually(applied)

    def evidence(
        self, program: dict[str, Any], provider: dict[str, Any], item: str, **changes: Any
    ) -> EventEnvelope:
        return evidence_envelope(program["id"], provider["person_id"], item, **changes)

    async def apply(self, envelope: EventEnvelope) -> bool:
        return await apply_evidence(self.app, envelope)

    async def proposal(self, intake: dict[str, Any], **changes: Any) -> dict[str, Any]:
        return await self.post("/proposals", {"intake_id": intake["id"], **changes})


@pytest.fixture
async def committed_world(app: FastAPI, consent_app: FastAPI, keys: TestKeys) -> AsyncIterator[World]:
    """For concurrency tests: every request commits (use fresh ids; nothing is rolled back)."""
    async with asgi_client(app) as client:
        yield World(client=client, app=app, consent_app=consent_app, keys=keys)


@pytest.fixture
def world(client: httpx.AsyncClient, app: FastAPI, consent_app: FastAPI, keys: TestKeys) -> World:
    return World(client=client, app=app, consent_app=consent_app, keys=keys)


HR_SUBSCRIPTIONS = {
    "PersonProvisioned": directory_consumers.PERSON_PROVISIONED,
    "PersonReactivated": directory_consumers.PERSON_REACTIVATED,
    "PersonDeactivated": review_consumers.PERSON_DEACTIVATED,
    "PersonJobChanged": review_consumers.PERSON_JOB_CHANGED,
}


@dataclass
class Hr:
    """The gateway's HR events (docs/contracts.md, source `gateway`), as an HRIS sync would send them."""

    app: FastAPI

    @staticmethod
    def envelope(event_type: str, data: dict[str, Any]) -> EventEnvelope:
        return EventEnvelope(
            id=uuid.uuid4(), type=event_type, source="gateway", occurred_at=datetime.now(UTC), data=data
        )

    @staticmethod
    def provisioned(person_id: Any, *, at: datetime, **facts: Any) -> dict[str, Any]:
        data: dict[str, Any] = {
            "person_id": str(person_id),
            "active": True,
            "title": "Engineer",
            "level": None,
            "level_rank": None,
            "department": None,
            "division": None,
            "cost_center": None,
            "manager_id": None,
            "hire_date": None,
            "timezone": "Europe/Berlin",
            "location": "Berlin",
            "source": "scim",
            "occurred_at": at.isoformat(),
        }
        data.update({k: str(v) if isinstance(v, uuid.UUID) else v for k, v in facts.items()})
        return data

    async def apply(self, event: EventEnvelope) -> bool:
        """Apply through the consumer in the test's transaction (rolled back with it)."""
        sub = HR_SUBSCRIPTIONS[event.type]
        return await EventConsumer(self.app.state.broker, sessionmaker_of(self.app), sub).apply(event)

    async def send(self, event_type: str, data: dict[str, Any]) -> EventEnvelope:
        event = self.envelope(event_type, data)
        await self.apply(event)
        return event

    async def publish(self, event_type: str, data: dict[str, Any]) -> EventEnvelope:
        """Publish on the real broker and wait until matching's consumer applied it (committed)."""
        event = self.envelope(event_type, data)
        js = await self.app.state.broker.jetstream(timeout=5)
        await js.publish(f"tandem.gateway.{event_type}", event.model_dump_json().encode())

        async def applied() -> bool:
            async with self.app.state.database.sessionmaker() as session:
                found = await session.scalar(
                    select(processed_events.c.event_id).where(
                        processed_events.c.event_id == event.id,
                        processed_events.c.consumer == HR_SUBSCRIPTIONS[event_type].name,
                    )
                )
            return found is not None

        assert await eventually(applied) is True
        return event


@pytest.fixture
def hr(app: FastAPI) -> Hr:
    return Hr(app)
