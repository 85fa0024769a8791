"""Data-subject requests opened through the real consent app, answered by scheduling.

`committed_world` commits everything (for the broker: consent's relay publishes, scheduling's durable
consumer answers); `world` keeps both services' work in rolled-back transactions and applies the
event itself, which is deterministic.
"""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import select

from tandem_consent.testing import consent_events
from tandem_kit.events import EventConsumer, EventEnvelope, processed_events
from tandem_kit.oauth_client import ServiceClient, StaticToken
from tandem_kit.testing import Infra, TestKeys, asgi_client, eventually, rollback_client, sessionmaker_of
from tandem_scheduling.engagement import service as engagement_service
from tandem_scheduling.engagement.schemas import MatchApproved
from tandem_scheduling.models import SessionAttendee
from tandem_scheduling.privacy.consumers import data_subject_requests
from tandem_scheduling.session.schemas import SessionKind
from tandem_scheduling.testing import book_in_the_past

BASE = "/api/v1/scheduling/engagements"
REQUESTS = "/api/v1/consent/data-subject-requests"
WRITE = ("scheduling:read", "scheduling:write")
ALL_DAY = [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)]
CLAUSES = {
    "scope": "Ana's goal: lead the AI rollout without burning out her team.",
    "confidentiality": "Session content stays between us.",
    "cadence": "Weekly, 60 minutes, video.",
    "success_criteria": "Sprint planning delays down 25% by the week-12 review.",
    "escalation_path": "Program operations first.",
    "data_usage_consent": "Only structured indicators reach analytics.",
    "sponsor_actions": "n/a for coaching.",
    "termination": "Ends after 12 sessions.",
}
PRIVATE_REASON = "Ana was ill."


@dataclass
class Person:
    """The person a request is about, and the rows scheduling holds about them.

    `engagement` has them as participant (coach `coach`): a held kickoff and a cancelled regular
    session in the past, a regular session next week, a signed agreement. `coaching` has them as
    the coach of `coachee`, with a kickoff next week. `strangers` is someone else's engagement.
    """

    id: uuid.UUID
    coach: uuid.UUID
    coachee: uuid.UUID
    engagement: dict[str, Any]
    coaching: dict[str, Any]
    strangers: dict[str, Any]
    sessions: dict[str, str] = field(default_factory=dict)

    RECORDS = (
        17  # 2 engagements, 4 sessions, 4 holds, 1 agreement, 6 SLA clocks (a kickoff, two reviews each)
    )


@dataclass
class World:
    app: FastAPI
    consent_app: FastAPI
    client: httpx.AsyncClient
    consent: httpx.AsyncClient
    keys: TestKeys
    infra: Infra

    @property
    def machine(self) -> dict[str, str]:
        return self.keys.headers(*WRITE)

    def person(self, person_id: uuid.UUID, role: str = "participant") -> dict[str, str]:
        return self.keys.headers(*WRITE, sub=f"user-{person_id}", person_id=str(person_id), roles=[role])

    async def engagement(self, participant: uuid.UUID, coach: uuid.UUID) -> dict[str, Any]:
        data = MatchApproved.model_validate(
            {
                "match_id": str(uuid.uuid4()),
                "program_id": str(uuid.uuid4()),
                "participant_id": str(participant),
                "provider_id": str(uuid.uuid4()),
                "provider_person_id": str(coach),
                "provider_kind": "coach",
                "track": "coach",
                "approved_at": datetime.now(UTC).isoformat(),
                "participant_timezone": "America/New_York",
                "participant_working_hours": ALL_DAY,
                "provider_timezone": "Europe/Berlin",
                "provider_working_hours": ALL_DAY,
            }
        )
        async with sessionmaker_of(self.app)() as session:
            created = await engagement_service.create_from_match(session, data)
            await session.commit()
        engagement: dict[str, Any] = await self.get(f"/{created.id}")
        return engagement

    async def get(self, path: str, *, status: int = 200) -> Any:
        resp = await self.client.get(BASE + path, headers=self.machine)
        assert resp.status_code == status, resp.text
        return resp.json()

    async def book(
        self, engagement: dict[str, Any], at: datetime, headers: dict[str, str], **body: Any
    ) -> str:
        resp = await self.client.post(
            f"{BASE}/{engagement['id']}/sessions", json={"starts_at": at.isoformat(), **body}, headers=headers
        )
        assert resp.status_code == 201, resp.text
        session_id: str = resp.json()["id"]
        return session_id

    async def book_in_the_past(self, engagement: dict[str, Any], at: datetime, kind: SessionKind) -> str:
        """The API books only future times: a past session is booked as it was, a day before."""
        return await book_in_the_past(self.app, uuid.UUID(engagement["id"]), at, kind)

    async def sign(self, engagement: dict[str, Any], participant: uuid.UUID, coach: uuid.UUID) -> None:
        url = f"{BASE}/{engagement['id']}/working-agreement"
        assert (await self.client.put(url, json=CLAUSES, headers=self.machine)).status_code == 200
        for who, role in ((participant, "participant"), (coach, "coach")):
            resp = await self.client.post(
                f"{url}/signatures", json={"version": 1}, headers=self.person(who, role)
            )
            assert resp.status_code == 200, resp.text

    async def person_with_data(self) -> Person:
        me, coach, coachee = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        now = datetime.now(UTC).replace(second=0, microsecond=0)
        person = Person(
            id=me,
            coach=coach,
            coachee=coachee,
            engagement=await self.engagement(me, coach),
            coaching=await self.engagement(coachee, me),
            strangers=await self.engagement(uuid.uuid4(), uuid.uuid4()),
        )
        await self.sign(person.engagement, me, coach)
        sessions = person.sessions
        sessions["held_kickoff"] = await self.book_in_the_past(
            person.engagement, now - timedelta(days=7), "kickoff"
        )
        sessions["cancelled"] = await self.book_in_the_past(
            person.engagement, now - timedelta(days=6), "regular"
        )
        resp = await self.client.post(
            f"{BASE}/{person.engagement['id']}/sessions/{sessions['cancelled']}/cancel",
            json={"reason": PRIVATE_REASON},
            headers=self.machine,
        )
        assert resp.status_code == 200, resp.text
        sessions["next_week"] = await self.book(person.engagement, now + timedelta(days=7), self.person(me))
        sessions["coaching_kickoff"] = await self.book(
            person.coaching, now + timedelta(days=8), self.person(coachee), kind="kickoff"
        )
        sessions["strangers"] = await self.book(
            person.strangers, now + timedelta(days=7), self.machine, kind="kickoff"
        )
        return person

    async def holds(self, person_id: uuid.UUID | str) -> list[SessionAttendee]:
        async with sessionmaker_of(self.app)() as session:
            rows = await session.scalars(
                select(SessionAttendee).where(SessionAttendee.person_id == uuid.UUID(str(person_id)))
            )
            return list(rows.all())

    async def open_request(self, person_id: uuid.UUID, kind: str) -> dict[str, Any]:
        resp = await self.consent.post(
            REQUESTS,
            json={"person_id": str(person_id), "kind": kind},
            headers=self.keys.headers("consent:read", "consent:write"),
        )
        assert resp.status_code == 201, resp.text
        request: dict[str, Any] = resp.json()
        return request

    async def request(self, request_id: str) -> dict[str, Any]:
        resp = await self.consent.get(f"{REQUESTS}/{request_id}", headers=self.keys.headers("consent:read"))
        assert resp.status_code == 200, resp.text
        request: dict[str, Any] = resp.json()
        return request

    async def export(self, request_id: str) -> dict[str, Any]:
        resp = await self.consent.get(
            f"{REQUESTS}/{request_id}/export", headers=self.keys.headers("consent:read")
        )
        assert resp.status_code == 200, resp.text
        services: dict[str, Any] = resp.json()["services"]
        return services

    async def receipt(self, request_id: str) -> dict[str, Any] | None:
        request = await self.request(request_id)
        return next((r for r in request["receipts"] if r["service"] == "scheduling"), None)

    async def answered(self, request_id: str) -> dict[str, Any]:
        """Scheduling's receipt, once its consumer has answered through the broker and committed.

        The receipt reaches consent before scheduling's transaction commits, so wait for that too.
        """
        found: dict[str, Any] = await eventually(lambda: self.receipt(request_id))
        event_id = (await self.envelope(request_id)).id

        async def committed() -> bool:
            async with sessionmaker_of(self.app)() as session:
                marker = await session.scalar(
                    select(processed_events.c.event_id).where(
                        processed_events.c.event_id == event_id,
                        processed_events.c.consumer == "scheduling-data-subject-requests",
                    )
                )
            return marker is not None

        await eventually(committed)
        return found

    async def envelope(self, request_id: str) -> EventEnvelope:
        """The `DataSubjectRequestOpened` consent wrote to its outbox for this request."""
        (found,) = await consent_events(self.consent_app, "DataSubjectRequestOpened", request_id=request_id)
        return found

    def consent_client(self, base_url: str = "http://consent.test", **options: Any) -> ServiceClient:
        transport = httpx.ASGITransport(app=self.consent_app) if base_url == "http://consent.test" else None
        return ServiceClient(
            base_url,
            StaticToken(
                lambda: self.keys.token("consent:receipt", sub="scheduling", client_name="scheduling")
            ),
            transport=transport,
            **options,
        )

    async def apply(self, envelope: EventEnvelope, consent: ServiceClient | None = None) -> bool:
        """Apply the event as scheduling's consumer does, in the test's transaction."""
        client = consent or self.consent_client()
        try:
            subscription = data_subject_requests(client, erasure_key=SecretStr("dev"))
            return await EventConsumer(self.app.state.broker, sessionmaker_of(self.app), subscription).apply(
                envelope
            )
        finally:
            await client.aclose()


@pytest.fixture
async def world(
    app: FastAPI, consent_app: FastAPI, client: httpx.AsyncClient, keys: TestKeys, infra: Infra
) -> AsyncIterator[World]:
    """Both services inside rolled-back transactions: nothing reaches the broker."""
    async with rollback_client(consent_app) as consent:
        yield World(app=app, consent_app=consent_app, client=client, consent=consent, keys=keys, infra=infra)


@pytest.fixture
async def committed_world(
    app: FastAPI, consent_app: FastAPI, keys: TestKeys, infra: Infra
) -> AsyncIterator[World]:
    """Every write commits (fresh person ids per test), so consent's relay publishes to the broker."""
    async with asgi_client(app) as client, asgi_client(consent_app) as consent:
        yield World(app=app, consent_app=consent_app, client=client, consent=consent, keys=keys, infra=infra)
