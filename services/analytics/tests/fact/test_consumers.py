import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from sqlalchemy import func, select

from tandem_analytics.fact.consumers import matching_facts, scheduling_facts
from tandem_analytics.models import EngagementFact, MatchFact, ProviderFact, SessionFact, SlaFact
from tandem_kit.events import EventConsumer, EventEnvelope, Subscription, subject_for
from tandem_kit.testing import eventually, sessionmaker_of

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def envelope(source: str, type_: str, data: dict[str, Any], *, at: datetime = NOW) -> EventEnvelope:
    return EventEnvelope(id=uuid.uuid4(), type=type_, source=source, occurred_at=at, data=data)


def consumer(app: FastAPI, sub: Subscription) -> EventConsumer:
    return EventConsumer(app.state.broker, sessionmaker_of(app), sub)


async def count(app: FastAPI, model: Any, *where: Any) -> int:
    async with sessionmaker_of(app)() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def match_approved(**over: Any) -> dict[str, Any]:
    return {
        "match_id": str(uuid.uuid4()),
        "proposal_id": str(uuid.uuid4()),
        "program_id": str(uuid.uuid4()),
        "participant_id": str(uuid.uuid4()),
        "provider_id": str(uuid.uuid4()),
        "provider_person_id": str(uuid.uuid4()),
        "provider_kind": "coach",
        "track": "coach",
        "score": 81.5,
        "approved_at": NOW.isoformat(),
        "approved_by": "pm-1",
        "participant_timezone": "Europe/Paris",
        "participant_working_hours": [{"weekday": 0, "start": "09:00", "end": "17:00"}],
        "provider_timezone": "America/New_York",
        "provider_working_hours": [],
        **over,
    }


async def test_match_approved_applied_once(app: FastAPI) -> None:
    data = match_approved()
    env = envelope("matching", "MatchApproved", data)
    c = consumer(app, matching_facts)
    assert await c.apply(env) is True
    assert await c.apply(env) is False
    assert await count(app, MatchFact, MatchFact.match_id == uuid.UUID(data["match_id"])) == 1
    async with sessionmaker_of(app)() as session:
        fact = await session.get(MatchFact, uuid.UUID(data["match_id"]))
    assert fact is not None
    assert (fact.provider_kind, fact.track, fact.approved_at) == ("coach", "coach", NOW)


async def test_same_match_under_a_new_event_id_is_still_one_fact(app: FastAPI) -> None:
    data = match_approved()
    c = consumer(app, matching_facts)
    assert await c.apply(envelope("matching", "MatchApproved", data)) is True
    assert await c.apply(envelope("matching", "MatchApproved", data)) is True
    assert await count(app, MatchFact, MatchFact.match_id == uuid.UUID(data["match_id"])) == 1


async def test_provider_registered_keeps_latest_capacity(app: FastAPI) -> None:
    provider = str(uuid.uuid4())
    data = {
        "provider_id": provider,
        "person_id": str(uuid.uuid4()),
        "program_id": str(uuid.uuid4()),
        "kind": "coach",
        "capacity": 15,
    }
    c = consumer(app, matching_facts)
    first = envelope("matching", "ProviderRegistered", data)
    assert await c.apply(first) is True
    assert await c.apply(first) is False
    assert await c.apply(envelope("matching", "ProviderRegistered", {**data, "capacity": 12})) is True
    async with sessionmaker_of(app)() as session:
        fact = await session.get(ProviderFact, uuid.UUID(provider))
    assert fact is not None
    assert (fact.kind, fact.capacity) == ("coach", 12)


async def test_scheduling_events_applied_once(app: FastAPI) -> None:
    engagement, match, session_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    participant, provider = str(uuid.uuid4()), str(uuid.uuid4())
    c = consumer(app, scheduling_facts)
    events = [
        envelope(
            "scheduling",
            "EngagementCreated",
            {
                "engagement_id": str(engagement),
                "match_id": str(match),
                "program_id": str(uuid.uuid4()),
                "participant_id": participant,
                "provider_id": provider,
                "kickoff_due_at": (NOW + timedelta(days=7)).isoformat(),
            },
        ),
        envelope(
            "scheduling",
            "SessionBooked",
            {
                "session_id": str(session_id),
                "engagement_id": str(engagement),
                "match_id": str(match),
                "participant_id": participant,
                "provider_id": provider,
                "starts_at": (NOW + timedelta(days=2)).isoformat(),
                "ends_at": (NOW + timedelta(days=2, hours=1)).isoformat(),
                "kind": "kickoff",
            },
        ),
        envelope(
            "scheduling",
            "SlaBreached",
            {
                "engagement_id": str(engagement),
                "match_id": str(match),
                "sla": "kickoff",
                "due_at": (NOW + timedelta(days=7)).isoformat(),
                "breached_at": (NOW + timedelta(days=7, minutes=1)).isoformat(),
            },
        ),
    ]
    for env in events:
        assert await c.apply(env) is True
        assert await c.apply(env) is False
    assert await count(app, EngagementFact, EngagementFact.engagement_id == engagement) == 1
    assert (
        await count(app, SessionFact, SessionFact.session_id == session_id, SessionFact.kind == "kickoff")
        == 1
    )
    assert await count(app, SlaFact, SlaFact.engagement_id == engagement, SlaFact.sla == "kickoff") == 1


async def test_cancellation_before_booking_keeps_both(app: FastAPI) -> None:
    engagement, session_id = uuid.uuid4(), uuid.uuid4()
    c = consumer(app, scheduling_facts)
    cancelled_at = NOW + timedelta(hours=3)
    cancel = envelope(
        "scheduling",
        "SessionCancelled",
        {"session_id": str(session_id), "engagement_id": str(engagement), "reason": "free text, not kept"},
        at=cancelled_at,
    )
    booked = envelope(
        "scheduling",
        "SessionBooked",
        {
            "session_id": str(session_id),
            "engagement_id": str(engagement),
            "match_id": str(uuid.uuid4()),
            "participant_id": str(uuid.uuid4()),
            "provider_id": str(uuid.uuid4()),
            "starts_at": (NOW + timedelta(days=1)).isoformat(),
            "ends_at": (NOW + timedelta(days=1, hours=1)).isoformat(),
            "kind": "regular",
        },
    )
    assert await c.apply(cancel) is True
    assert await c.apply(booked) is True
    assert await c.apply(cancel) is False
    async with sessionmaker_of(app)() as session:
        fact = await session.get(SessionFact, session_id)
    assert fact is not None
    assert (fact.kind, fact.starts_at, fact.cancelled_at) == (
        "regular",
        NOW + timedelta(days=1),
        cancelled_at,
    )


async def test_events_arrive_through_the_broker(app: FastAPI) -> None:
    data = match_approved()
    env = envelope("matching", "MatchApproved", data)
    js = await app.state.broker.jetstream(timeout=5)
    await js.publish(
        subject_for("matching", "MatchApproved"),
        json.dumps(env.model_dump(mode="json")).encode(),
        headers={"Nats-Msg-Id": str(env.id)},
    )

    async def arrived() -> bool:
        return await count(app, MatchFact, MatchFact.match_id == uuid.UUID(data["match_id"])) == 1

    assert await eventually(arrived)


def match_ended(approved: dict[str, Any], **over: Any) -> dict[str, Any]:
    keys = ("match_id", "program_id", "participant_id", "provider_id", "provider_kind")
    return {
        **{k: approved[k] for k in keys},
        "reason": "completed",
        "ended_at": (NOW + timedelta(days=90)).isoformat(),
        "ended_by": "pm-1",
        **over,
    }


async def match_fact(app: FastAPI, match_id: str) -> MatchFact:
    async with sessionmaker_of(app)() as session:
        fact = await session.get(MatchFact, uuid.UUID(match_id))
    assert fact is not None
    return fact


async def test_match_ended_applied_once(app: FastAPI) -> None:
    approved = match_approved()
    c = consumer(app, matching_facts)
    assert await c.apply(envelope("matching", "MatchApproved", approved)) is True
    ended = envelope("matching", "MatchEnded", match_ended(approved, reason="withdrawn"))
    assert await c.apply(ended) is True
    assert await c.apply(ended) is False
    fact = await match_fact(app, approved["match_id"])
    assert (fact.ended_at, fact.end_reason, fact.approved_at, fact.track) == (
        NOW + timedelta(days=90),
        "withdrawn",
        NOW,
        "coach",
    )


async def test_first_end_applied_is_kept(app: FastAPI) -> None:
    approved = match_approved()
    c = consumer(app, matching_facts)
    assert await c.apply(envelope("matching", "MatchApproved", approved)) is True
    assert await c.apply(envelope("matching", "MatchEnded", match_ended(approved))) is True
    later = match_ended(approved, reason="terminated", ended_at=(NOW + timedelta(days=99)).isoformat())
    assert await c.apply(envelope("matching", "MatchEnded", later)) is True
    fact = await match_fact(app, approved["match_id"])
    assert (fact.ended_at, fact.end_reason) == (NOW + timedelta(days=90), "completed")


async def test_end_before_approval_stays_ended(app: FastAPI) -> None:
    approved = match_approved()
    c = consumer(app, matching_facts)
    assert (
        await c.apply(envelope("matching", "MatchEnded", match_ended(approved, reason="reassigned"))) is True
    )
    early = await match_fact(app, approved["match_id"])
    assert (early.approved_at, early.track, early.end_reason) == (None, None, "reassigned")

    assert await c.apply(envelope("matching", "MatchApproved", approved)) is True
    assert await c.apply(envelope("matching", "MatchApproved", approved)) is True
    fact = await match_fact(app, approved["match_id"])
    assert (fact.approved_at, fact.track, fact.ended_at, fact.end_reason) == (
        NOW,
        "coach",
        NOW + timedelta(days=90),
        "reassigned",
    )
    assert await count(app, MatchFact, MatchFact.match_id == uuid.UUID(approved["match_id"])) == 1


async def test_match_ended_arrives_through_the_broker(app: FastAPI) -> None:
    approved = match_approved()
    js = await app.state.broker.jetstream(timeout=5)
    for type_, data in (("MatchApproved", approved), ("MatchEnded", match_ended(approved))):
        env = envelope("matching", type_, data)
        await js.publish(
            subject_for("matching", type_),
            json.dumps(env.model_dump(mode="json")).encode(),
            headers={"Nats-Msg-Id": str(env.id)},
        )

    async def ended() -> bool:
        match_id = uuid.UUID(approved["match_id"])
        return (
            await count(app, MatchFact, MatchFact.match_id == match_id, MatchFact.ended_at.is_not(None)) == 1
        )

    assert await eventually(ended)
