import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from tandem_kit.events import EventConsumer, EventEnvelope, InvalidEvent, dead_letters, outbox_messages
from tandem_kit.testing import eventually
from tandem_scheduling.lifecycle.consumers import MATCH_APPROVED
from tandem_scheduling.models import Engagement, SlaClock


def envelope(data: dict[str, Any]) -> EventEnvelope:
    return EventEnvelope(
        id=uuid.uuid4(), type="MatchApproved", source="matching", occurred_at=datetime.now(UTC), data=data
    )


def consumer(app: FastAPI) -> EventConsumer:
    return EventConsumer(app.state.broker, app.state.database.sessionmaker, MATCH_APPROVED)


async def engagements_of(app: FastAPI, match_id: str) -> list[Engagement]:
    async with app.state.database.sessionmaker() as session:
        rows = await session.scalars(select(Engagement).where(Engagement.match_id == uuid.UUID(match_id)))
        return list(rows.all())


async def test_same_envelope_twice_creates_one_engagement(app: FastAPI, payload: Any) -> None:
    data = payload()
    event = envelope(data)
    assert await consumer(app).apply(event) is True
    assert await consumer(app).apply(event) is False
    found = await engagements_of(app, data["match_id"])
    assert len(found) == 1
    async with app.state.database.sessionmaker() as session:
        created = await session.scalar(
            select(func.count()).where(
                outbox_messages.c.subject == "tandem.scheduling.EngagementCreated",
                outbox_messages.c.payload["data"]["match_id"].astext == data["match_id"],
            )
        )
    assert created == 1


async def test_same_match_in_a_new_event_is_a_noop(app: FastAPI, payload: Any) -> None:
    data = payload()
    await consumer(app).apply(envelope(data))
    assert await consumer(app).apply(envelope(data)) is True
    assert len(await engagements_of(app, data["match_id"])) == 1


async def test_kickoff_sla_due_seven_days_after_approval(app: FastAPI, payload: Any) -> None:
    approved_at = datetime(2027, 3, 1, 16, 30, tzinfo=UTC)
    data = payload(approved_at=approved_at.isoformat(), provider_kind="mentor", track="mentor")
    await consumer(app).apply(envelope(data))
    [engagement] = await engagements_of(app, data["match_id"])
    async with app.state.database.sessionmaker() as session:
        clock = await session.scalar(
            select(SlaClock).where(SlaClock.engagement_id == engagement.id, SlaClock.kind == "kickoff_held")
        )
    assert clock is not None
    assert (clock.kind, clock.due_at, clock.met_at, clock.breached_at) == (
        "kickoff_held",
        approved_at + timedelta(days=7),
        None,
        None,
    )
    assert (engagement.cadence, engagement.session_minutes, engagement.planned_months) == ("monthly", 60, 12)
    assert engagement.provider_timezone == "Europe/Berlin"
    assert engagement.participant_working_hours[0] == {"weekday": 0, "start": "09:00", "end": "17:00"}


async def test_unknown_time_zone_is_an_invalid_event_not_an_engagement(app: FastAPI, payload: Any) -> None:
    data = payload(participant_timezone="Mars/Olympus_Mons")
    with pytest.raises(InvalidEvent, match="participant_working_hours: invalid_working_hours"):
        await consumer(app).apply(envelope(data))
    assert await engagements_of(app, data["match_id"]) == []


async def test_a_malformed_event_from_the_broker_is_parked_once(app: FastAPI, payload: Any) -> None:
    data = payload(provider_timezone="Mars/Olympus_Mons")
    event = envelope(data)
    js = await app.state.broker.jetstream(timeout=5)
    await js.publish("tandem.matching.MatchApproved", event.model_dump_json().encode())

    async def parked() -> list[Any]:
        async with app.state.database.sessionmaker() as session:
            rows = await session.execute(select(dead_letters).where(dead_letters.c.event_id == event.id))
            return list(rows.all())

    [row] = await eventually(parked)
    assert (row.consumer, row.reason, row.attempts) == ("scheduling-match-approved", "invalid", 1)
    assert row.error_summary == "MatchApproved: provider_working_hours: invalid_working_hours"
    assert await engagements_of(app, data["match_id"]) == []


async def test_published_event_is_consumed_from_the_broker(app: FastAPI, payload: Any) -> None:
    data = payload()
    js = await app.state.broker.jetstream(timeout=5)
    await js.publish("tandem.matching.MatchApproved", envelope(data).model_dump_json().encode())

    async def created() -> bool:
        return len(await engagements_of(app, data["match_id"])) == 1

    assert await eventually(created) is True
