"""The gateway's `CalendarBusyChanged` against booked sessions: `SessionConflictDetected` once per session,
person and busy interval; a session's own calendar event, past and cancelled sessions are no conflicts."""

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from tandem_kit.events import EventConsumer, EventEnvelope, outbox_messages
from tandem_kit.testing import TestKeys, asgi_client, eventually, sessionmaker_of
from tandem_scheduling.conflict.consumers import CALENDAR_BUSY_CHANGED
from tandem_scheduling.models import Engagement, SessionConflict
from tandem_scheduling.privacy import service as privacy_service
from tandem_scheduling.testing import book_in_the_past

BASE = "/api/v1/scheduling/engagements"
WRITE = ("scheduling:read", "scheduling:write")
ALL_DAY = [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)]


def busy_changed(person_id: uuid.UUID, *busy: tuple[datetime, datetime]) -> EventEnvelope:
    """A `CalendarBusyChanged` envelope (docs/contracts.md), its window around the busy times."""
    start = min(b[0] for b in busy) - timedelta(days=1)
    end = max(b[1] for b in busy) + timedelta(days=1)
    return EventEnvelope(
        id=uuid.uuid4(),
        type="CalendarBusyChanged",
        source="gateway",
        occurred_at=datetime.now(UTC),
        data={
            "person_id": str(person_id),
            "provider": "google",
            "window_start": start.isoformat(),
            "window_end": end.isoformat(),
            "busy": [{"start": b0.isoformat(), "end": b1.isoformat()} for b0, b1 in busy],
            "changed_at": datetime.now(UTC).isoformat(),
        },
    )


async def book(client: httpx.AsyncClient, keys: TestKeys, engagement: Engagement, at: datetime) -> str:
    resp = await client.post(
        f"{BASE}/{engagement.id}/sessions",
        json={"starts_at": at.isoformat(), "kind": "kickoff"},
        headers=keys.headers(*WRITE),
    )
    assert resp.status_code == 201, resp.text
    session_id: str = resp.json()["id"]
    return session_id


async def conflicts(app: FastAPI) -> list[dict[str, Any]]:
    async with sessionmaker_of(app)() as session:
        payloads = await session.scalars(
            select(outbox_messages.c.payload)
            .where(outbox_messages.c.subject == "tandem.scheduling.SessionConflictDetected")
            .order_by(outbox_messages.c.seq)
        )
        return [p["data"] for p in payloads]


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


Apply = Callable[[EventEnvelope], Awaitable[bool]]


def applier(app: FastAPI) -> Apply:
    async def apply(event: EventEnvelope) -> bool:
        consumer = EventConsumer(app.state.broker, sessionmaker_of(app), CALENDAR_BUSY_CHANGED)
        return await consumer.apply(event)

    return apply


async def test_an_overlapping_meeting_is_a_conflict_once_per_interval(
    app: FastAPI, client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, monday: datetime
) -> None:
    engagement = await make_engagement()
    session_id = await book(client, keys, engagement, monday)
    apply = applier(app)
    meeting = (monday + timedelta(minutes=30), monday + timedelta(minutes=90))

    assert await apply(busy_changed(engagement.provider_person_id, meeting)) is True
    # The same interval again, in a new notification: already announced.
    assert await apply(busy_changed(engagement.provider_person_id, meeting)) is True
    # The meeting moved: a new interval, a new conflict.
    moved = (monday + timedelta(minutes=45), monday + timedelta(minutes=90))
    assert await apply(busy_changed(engagement.provider_person_id, moved)) is True

    found = await conflicts(app)
    assert [(c["session_id"], c["person_id"], at(c["starts_at"]), at(c["ends_at"])) for c in found] == [
        (session_id, str(engagement.provider_person_id), *meeting),
        (session_id, str(engagement.provider_person_id), *moved),
    ]
    assert {c["engagement_id"] for c in found} == {str(engagement.id)}


async def test_the_sessions_own_event_is_not_a_conflict(
    app: FastAPI, client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, monday: datetime
) -> None:
    engagement = await make_engagement()
    await book(client, keys, engagement, monday)
    apply = applier(app)
    own = (monday, monday + timedelta(minutes=60))
    before = (monday - timedelta(minutes=60), monday)  # back to back: touches, does not overlap

    assert await apply(busy_changed(engagement.participant_id, own, before)) is True

    assert await conflicts(app) == []


async def test_past_cancelled_and_other_peoples_sessions_are_left_alone(
    app: FastAPI, client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, monday: datetime
) -> None:
    engagement = await make_engagement()
    cancelled = await book(client, keys, engagement, monday)
    resp = await client.post(
        f"{BASE}/{engagement.id}/sessions/{cancelled}/cancel",
        json={"reason": "moved"},
        headers=keys.headers(*WRITE),
    )
    assert resp.status_code == 200, resp.text
    past = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=2)
    other = await make_engagement(participant_working_hours=ALL_DAY, provider_working_hours=ALL_DAY)
    await book_in_the_past(app, other.id, past, "kickoff")
    apply = applier(app)

    assert (
        await apply(busy_changed(engagement.participant_id, (monday, monday + timedelta(minutes=30)))) is True
    )
    assert await apply(busy_changed(other.participant_id, (past, past + timedelta(minutes=30)))) is True
    # Someone with no sessions at all.
    assert await apply(busy_changed(uuid.uuid4(), (monday, monday + timedelta(minutes=30)))) is True

    assert await conflicts(app) == []


async def test_published_busy_change_is_consumed_from_the_broker(
    app: FastAPI, keys: TestKeys, payload: Any, monday: datetime
) -> None:
    from tandem_scheduling.engagement import service as engagement_service
    from tandem_scheduling.engagement.schemas import MatchApproved

    async with app.state.database.sessionmaker() as session:
        engagement = await engagement_service.create_from_match(
            session, MatchApproved.model_validate(payload())
        )
        await session.commit()
    # Another week than the other tests' (this one commits).
    starts = monday + timedelta(weeks=3)
    async with asgi_client(app) as client:
        session_id = await book(client, keys, engagement, starts)
    js = await app.state.broker.jetstream(timeout=5)
    event = busy_changed(
        engagement.participant_id, (starts - timedelta(minutes=15), starts + timedelta(minutes=15))
    )
    await js.publish("tandem.gateway.CalendarBusyChanged", event.model_dump_json().encode())

    async def detected() -> list[dict[str, Any]]:
        return [c for c in await conflicts(app) if c["session_id"] == session_id]

    found = await eventually(detected)
    assert [(c["person_id"], at(c["starts_at"])) for c in found] == [
        (str(engagement.participant_id), starts - timedelta(minutes=15))
    ]


async def test_access_exports_and_erasure_deletes_the_persons_conflicts(
    app: FastAPI, client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, monday: datetime
) -> None:
    engagement = await make_engagement()
    session_id = await book(client, keys, engagement, monday)
    meeting = (monday + timedelta(minutes=30), monday + timedelta(minutes=90))
    assert await applier(app)(busy_changed(engagement.provider_person_id, meeting)) is True
    provider = engagement.provider_person_id

    async with sessionmaker_of(app)() as session:
        exported = await privacy_service.export_person(session, provider)
        assert exported.export is not None
        assert [
            (c["session_id"], at(c["busy_start"]), at(c["busy_end"]))
            for c in exported.export["session_conflicts"]
        ] == [(session_id, *meeting)]
        assert exported.detail.endswith(" 1 calendar conflict(s).")
        await privacy_service.erase_person(session, provider)
        left = await session.scalar(
            select(func.count()).select_from(SessionConflict).where(SessionConflict.person_id == provider)
        )
    assert left == 0
