"""Ended matches stop counting as active: facts arrive through analytics' own matching consumer,
KPIs are read through the REST API. Everything commits, so every program has fresh ids."""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI

from tandem_analytics.fact.consumers import analytics_consent, matching_facts
from tandem_kit.events import EventConsumer, EventEnvelope
from tandem_kit.testing import TestKeys, sessionmaker_of

APPROVED = datetime.now(UTC) - timedelta(days=20)
ENDED = datetime.now(UTC) - timedelta(days=1)


def envelope(type_: str, data: dict[str, Any], at: datetime) -> EventEnvelope:
    return EventEnvelope(id=uuid.uuid4(), type=type_, source="matching", occurred_at=at, data=data)


@dataclass
class Program:
    app: FastAPI
    http: httpx.AsyncClient
    keys: TestKeys
    id: UUID = field(default_factory=uuid.uuid4)

    async def apply(self, env: EventEnvelope) -> bool:
        return await EventConsumer(self.app.state.broker, sessionmaker_of(self.app), matching_facts).apply(
            env
        )

    async def coach(self, *, capacity: int = 5) -> UUID:
        provider_id = uuid.uuid4()
        data = {
            "provider_id": str(provider_id),
            "person_id": str(uuid.uuid4()),
            "program_id": str(self.id),
            "kind": "coach",
            "capacity": capacity,
        }
        assert await self.apply(envelope("ProviderRegistered", data, APPROVED))
        return provider_id

    def approval(self, participant: UUID, coach: UUID) -> EventEnvelope:
        data = {
            "match_id": str(uuid.uuid4()),
            "proposal_id": str(uuid.uuid4()),
            "program_id": str(self.id),
            "participant_id": str(participant),
            "provider_id": str(coach),
            "provider_person_id": str(uuid.uuid4()),
            "provider_kind": "coach",
            "track": "coach",
            "score": 80.0,
            "approved_at": APPROVED.isoformat(),
            "approved_by": "pm-1",
        }
        return envelope("MatchApproved", data, APPROVED)

    def end(self, approval: EventEnvelope, reason: str = "completed") -> EventEnvelope:
        keys = ("match_id", "program_id", "participant_id", "provider_id", "provider_kind")
        data = {
            **{k: approval.data[k] for k in keys},
            "reason": reason,
            "ended_at": ENDED.isoformat(),
            "ended_by": "pm-1",
        }
        return envelope("MatchEnded", data, ENDED)

    async def consent(self, person: UUID) -> None:
        """The participant's `analytics` consent, granted before the approval: their matches count."""
        data = {
            "person_id": str(person),
            "purpose": "analytics",
            "granted_at": (APPROVED - timedelta(days=1)).isoformat(),
        }
        granted = EventEnvelope(
            id=uuid.uuid4(), type="ConsentGranted", source="consent", occurred_at=APPROVED, data=data
        )
        assert await EventConsumer(self.app.state.broker, sessionmaker_of(self.app), analytics_consent).apply(
            granted
        )

    async def coachings(self, coach: UUID, n: int) -> list[EventEnvelope]:
        """`n` coachees approved with `coach`; their MatchApproved envelopes."""
        approvals = [self.approval(uuid.uuid4(), coach) for _ in range(n)]
        for approval in approvals:
            await self.consent(UUID(approval.data["participant_id"]))
            assert await self.apply(approval)
        return approvals

    async def coaching_kpis(self) -> dict[str, tuple[Any, ...]]:
        resp = await self.http.get(
            "/api/v1/analytics/kpis",
            params={"program_id": str(self.id)},
            headers=self.keys.headers("analytics:read"),
        )
        assert resp.status_code == 200, resp.text
        return {
            k["name"]: (k["status"], k["value"], k["numerator"], k["denominator"])
            for k in resp.json()
            if k["name"] in ("coach_utilization", "coach_to_coachee_ratio")
        }


@pytest.fixture
def program(app: FastAPI, client: httpx.AsyncClient, keys: TestKeys, kpis_alone: None) -> Program:
    return Program(app, client, keys)


async def test_utilization_drops_when_matches_end(program: Program) -> None:
    coaches = [await program.coach(capacity=10), await program.coach(capacity=10)]
    approvals = await program.coachings(coaches[0], 6) + await program.coachings(coaches[1], 6)
    assert await program.coaching_kpis() == {
        "coach_to_coachee_ratio": ("green", 6.0, 12, 2),
        "coach_utilization": ("green", 0.6, 12, 20),
    }

    # One match ended: the next read would reveal that one coachee by subtraction.
    assert await program.apply(program.end(approvals[0], "completed"))
    assert await program.coaching_kpis() == {
        "coach_to_coachee_ratio": ("suppressed", None, None, None),
        "coach_utilization": ("suppressed", None, None, None),
    }

    # Five ended in all: k people apart from the figure read before, published again.
    for approval in approvals[1:5]:
        assert await program.apply(program.end(approval, "completed"))
    assert await program.coaching_kpis() == {
        "coach_to_coachee_ratio": ("green", 3.5, 7, 2),
        "coach_utilization": ("red", 0.35, 7, 20),  # far below the seed target
    }


@pytest.mark.parametrize("end_first", [True, False], ids=["end-then-approval", "approval-then-end"])
async def test_reassignment_counts_the_coachee_once(program: Program, end_first: bool) -> None:
    old_coach, new_coach = await program.coach(), await program.coach()
    [old] = await program.coachings(old_coach, 1)
    await program.coachings(new_coach, 5)
    assert await program.coaching_kpis() == {
        "coach_to_coachee_ratio": ("green", 3.0, 6, 2),
        "coach_utilization": ("green", 0.6, 6, 10),
    }
    ended = program.end(old, "reassigned")
    new = program.approval(UUID(old.data["participant_id"]), new_coach)

    for env in (ended, new) if end_first else (new, ended):
        assert await program.apply(env)

    # The old coach carries nobody any more; the coachee counts once, with the new coach.
    assert await program.coaching_kpis() == {
        "coach_to_coachee_ratio": ("green", 6.0, 6, 1),
        "coach_utilization": ("green", 0.6, 6, 10),
    }


async def test_replayed_end_is_applied_once(program: Program) -> None:
    coach = await program.coach(capacity=10)
    approvals = await program.coachings(coach, 6)
    ended = program.end(approvals[0], "withdrawn")

    assert await program.apply(ended) is True
    assert await program.apply(ended) is False
    # The same end under a new event id (a re-sent event) changes nothing either.
    assert await program.apply(envelope("MatchEnded", ended.data, ENDED)) is True

    assert await program.coaching_kpis() == {
        "coach_to_coachee_ratio": ("green", 5.0, 5, 1),
        "coach_utilization": ("green", 0.5, 5, 10),
    }


async def test_end_before_approval_never_counts_as_active(program: Program) -> None:
    coach = await program.coach(capacity=10)
    await program.coachings(coach, 5)
    late = program.approval(uuid.uuid4(), coach)

    assert await program.apply(program.end(late, "terminated"))
    assert await program.coaching_kpis() == {
        "coach_to_coachee_ratio": ("green", 5.0, 5, 1),
        "coach_utilization": ("green", 0.5, 5, 10),
    }
    assert await program.apply(late)

    assert await program.coaching_kpis() == {
        "coach_to_coachee_ratio": ("green", 5.0, 5, 1),
        "coach_utilization": ("green", 0.5, 5, 10),
    }
