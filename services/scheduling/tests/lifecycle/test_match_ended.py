"""Matching's `MatchEnded` ends the match's engagement: future sessions cancelled, past ones kept,
booking refused, SLA clocks settled; in any order with `MatchApproved`, and once per event.

Engagements are opened by applying `MatchApproved` as its consumer does. Most tests apply the events
inside the test's rolled-back transaction (the `client` fixture); the broker test commits.
"""

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from tandem_kit.events import EventConsumer, EventEnvelope, InvalidEvent, Subscription
from tandem_kit.testing import TestKeys, asgi_client, eventually, sessionmaker_of
from tandem_scheduling.agreement.domain import CLAUSES
from tandem_scheduling.engagement.schemas import MatchEnded
from tandem_scheduling.lifecycle import ending
from tandem_scheduling.lifecycle.consumers import MATCH_APPROVED, MATCH_ENDED
from tandem_scheduling.models import SessionAttendee, WorkingAgreement
from tandem_scheduling.session.schemas import SessionKind
from tandem_scheduling.sla.service import detect_breaches
from tandem_scheduling.testing import book_in_the_past

BASE = "/api/v1/scheduling/engagements"
WRITE = ("scheduling:read", "scheduling:write")
ALL_DAY = [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)]


def now_minute() -> datetime:
    return datetime.now(UTC).replace(second=0, microsecond=0)


def match_ended(
    match_id: str, *, reason: str = "completed", ended_at: datetime | None = None
) -> dict[str, Any]:
    """A `MatchEnded` payload (docs/contracts.md)."""
    return {
        "match_id": match_id,
        "program_id": str(uuid.uuid4()),
        "participant_id": str(uuid.uuid4()),
        "provider_id": str(uuid.uuid4()),
        "provider_kind": "coach",
        "reason": reason,
        "ended_at": (ended_at or datetime.now(UTC)).isoformat(),
        "ended_by": "pm-1",
    }


def envelope(event_type: str, data: dict[str, Any]) -> EventEnvelope:
    return EventEnvelope(
        id=uuid.uuid4(), type=event_type, source="matching", occurred_at=datetime.now(UTC), data=data
    )


@dataclass
class Scheduling:
    """The app as the test's transaction sees it, with the calls the tests make."""

    app: FastAPI
    client: httpx.AsyncClient
    keys: TestKeys
    payload: Any

    @property
    def headers(self) -> dict[str, str]:
        return self.keys.headers(*WRITE)

    async def apply(self, subscription: Subscription, event: EventEnvelope) -> bool:
        return await EventConsumer(self.app.state.broker, sessionmaker_of(self.app), subscription).apply(
            event
        )

    async def approve(self, *, approved_at: datetime | None = None, **overrides: Any) -> dict[str, Any]:
        """Apply a `MatchApproved` (people working around the clock); the payload sent."""
        data: dict[str, Any] = self.payload(
            approved_at=(approved_at or datetime.now(UTC)).isoformat(),
            participant_working_hours=ALL_DAY,
            provider_working_hours=ALL_DAY,
            **overrides,
        )
        assert await self.apply(MATCH_APPROVED, envelope("MatchApproved", data)) is True
        return data

    async def engagement_of(self, approved: dict[str, Any]) -> dict[str, Any] | None:
        """The engagement of an approved match (`MatchApproved` payload), if one was opened."""
        resp = await self.client.get(
            BASE, params={"participant_id": approved["participant_id"]}, headers=self.headers
        )
        return next((e for e in resp.json()["items"] if e["match_id"] == approved["match_id"]), None)

    async def opened(self, **overrides: Any) -> dict[str, Any]:
        """An engagement opened by `MatchApproved`, with both parties' signed agreement."""
        data = await self.approve(**overrides)
        engagement = await self.engagement_of(data)
        assert engagement is not None
        async with sessionmaker_of(self.app)() as session:
            now = datetime.now(UTC)
            session.add(
                WorkingAgreement(
                    engagement_id=uuid.UUID(engagement["id"]),
                    clauses=dict.fromkeys(CLAUSES, "agreed"),
                    participant_signed_at=now,
                    provider_signed_at=now,
                    updated_by="test",
                )
            )
            await session.commit()
        return engagement

    async def end(self, match_id: str, **options: Any) -> EventEnvelope:
        event = envelope("MatchEnded", match_ended(match_id, **options))
        assert await self.apply(MATCH_ENDED, event) is True
        return event

    async def book(self, engagement: dict[str, Any], at: datetime, kind: str = "regular") -> httpx.Response:
        return await self.client.post(
            f"{BASE}/{engagement['id']}/sessions",
            json={"starts_at": at.isoformat(), "kind": kind},
            headers=self.headers,
        )

    async def booked(self, engagement: dict[str, Any], at: datetime, kind: str = "regular") -> str:
        resp = await self.book(engagement, at, kind)
        assert resp.status_code == 201, resp.text
        session_id: str = resp.json()["id"]
        return session_id

    async def held(self, engagement: dict[str, Any], at: datetime, kind: SessionKind = "kickoff") -> str:
        """A session in the past: booked as it was, a day before it started (the API books only ahead)."""
        return await book_in_the_past(self.app, uuid.UUID(engagement["id"]), at, kind)

    async def get(self, path: str) -> Any:
        resp = await self.client.get(BASE + path, headers=self.headers)
        assert resp.status_code == 200, resp.text
        return resp.json()

    async def sessions(self, engagement: dict[str, Any]) -> dict[str, dict[str, Any]]:
        return {s["id"]: s for s in (await self.get(f"/{engagement['id']}/sessions"))["items"]}

    async def live_holds(self, session_id: str) -> int:
        async with sessionmaker_of(self.app)() as session:
            rows = await session.scalars(
                select(SessionAttendee).where(
                    SessionAttendee.session_id == uuid.UUID(session_id), SessionAttendee.cancelled.is_(False)
                )
            )
            return len(rows.all())


async def test_future_sessions_are_cancelled_and_past_ones_kept(
    app: FastAPI, client: httpx.AsyncClient, keys: TestKeys, payload: Any, outbox: Any
) -> None:
    world = Scheduling(app, client, keys, payload)
    now = now_minute()
    engagement = await world.opened(approved_at=now - timedelta(days=14))
    kickoff = await world.held(engagement, now - timedelta(days=10))
    next_week = await world.booked(engagement, now + timedelta(days=7))
    in_two_weeks = await world.booked(engagement, now + timedelta(days=14))
    ended_at = now - timedelta(minutes=5)

    await world.end(engagement["match_id"], ended_at=ended_at)

    after = await world.get(f"/{engagement['id']}")
    assert (after["status"], datetime.fromisoformat(after["ended_at"])) == ("ended", ended_at)
    sessions = await world.sessions(engagement)
    assert sessions[kickoff]["status"] == "booked"
    assert await world.live_holds(kickoff) == 2
    reason = "The match ended (completed)."
    for cancelled in (next_week, in_two_weeks):
        assert (sessions[cancelled]["status"], sessions[cancelled]["cancel_reason"]) == ("cancelled", reason)
        assert await world.live_holds(cancelled) == 0
        assert await outbox("SessionCancelled", session_id=cancelled, reason_code="match_ended") == 1
    # The kickoff took place but nobody recorded it attended: its overdue clock stays for the scan;
    # the reviews not yet due went with the engagement.
    [clock] = await world.get(f"/{engagement['id']}/sla-clocks")
    assert (clock["kind"], clock["met_at"]) == ("kickoff_held", None)


async def test_graphql_match_engagement_shows_the_end(
    app: FastAPI, client: httpx.AsyncClient, keys: TestKeys, payload: Any
) -> None:
    world = Scheduling(app, client, keys, payload)
    engagement = await world.opened()
    ended_at = now_minute() - timedelta(minutes=1)
    await world.end(engagement["match_id"], ended_at=ended_at)

    resp = await client.post(
        "/graphql",
        json={
            "query": "query ($r: [_Any!]!) { _entities(representations: $r) "
            "{ ... on Match { engagement { status endedAt } } } }",
            "variables": {"r": [{"__typename": "Match", "id": engagement["match_id"]}]},
        },
        headers=keys.headers("scheduling:read"),
    )

    [match] = resp.json()["data"]["_entities"]
    assert match["engagement"]["status"] == "ended"
    assert datetime.fromisoformat(match["engagement"]["endedAt"]) == ended_at


async def test_booking_into_an_ended_engagement_is_409(
    app: FastAPI, client: httpx.AsyncClient, keys: TestKeys, payload: Any
) -> None:
    world = Scheduling(app, client, keys, payload)
    engagement = await world.opened()
    await world.end(engagement["match_id"], reason="withdrawn")

    resp = await world.book(engagement, now_minute() + timedelta(days=3), "kickoff")

    assert resp.status_code == 409
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert resp.json()["type"].rsplit("/", 1)[1] == "engagement-not-active"
    assert await world.sessions(engagement) == {}


async def test_a_kickoff_cancelled_by_the_end_leaves_no_promise_to_breach(
    app: FastAPI, client: httpx.AsyncClient, keys: TestKeys, payload: Any
) -> None:
    """Booked in time and not yet due: the end removes the promise rather than turning it into a breach."""
    world = Scheduling(app, client, keys, payload)
    engagement = await world.opened()
    kickoff = await world.booked(engagement, now_minute() + timedelta(days=3), "kickoff")

    await world.end(engagement["match_id"], reason="terminated")

    assert (await world.sessions(engagement))[kickoff]["status"] == "cancelled"
    assert await world.get(f"/{engagement['id']}/sla-clocks") == []


async def test_a_clock_not_yet_due_is_removed(
    app: FastAPI, client: httpx.AsyncClient, keys: TestKeys, payload: Any
) -> None:
    world = Scheduling(app, client, keys, payload)
    engagement = await world.opened()  # kickoff due in 7 days, nothing booked; two reviews later
    assert len(await world.get(f"/{engagement['id']}/sla-clocks")) == 3

    await world.end(engagement["match_id"])

    assert await world.get(f"/{engagement['id']}/sla-clocks") == []


async def test_an_overdue_open_clock_stays_and_is_breached(
    app: FastAPI, client: httpx.AsyncClient, keys: TestKeys, payload: Any
) -> None:
    world = Scheduling(app, client, keys, payload)
    engagement = await world.opened(approved_at=datetime.now(UTC) - timedelta(days=10))
    [overdue] = [c for c in await world.get(f"/{engagement['id']}/sla-clocks") if c["kind"] == "kickoff_held"]

    await world.end(engagement["match_id"])

    assert await world.get(f"/{engagement['id']}/sla-clocks") == [overdue]
    async with sessionmaker_of(app)() as session:
        breaches = await detect_breaches(session, datetime.now(UTC))
        await session.commit()
    # Breached, but an ended engagement opens no escalation.
    assert [(b.kind, b.escalation_id) for b in breaches if str(b.engagement_id) == engagement["id"]] == [
        ("kickoff_held", None)
    ]


async def test_same_event_twice_is_applied_once(
    app: FastAPI, client: httpx.AsyncClient, keys: TestKeys, payload: Any, outbox: Any
) -> None:
    world = Scheduling(app, client, keys, payload)
    engagement = await world.opened()
    upcoming = await world.booked(engagement, now_minute() + timedelta(days=7))
    event = await world.end(engagement["match_id"])

    assert await world.apply(MATCH_ENDED, event) is False

    assert await outbox("SessionCancelled", session_id=upcoming) == 1
    assert (await world.get(f"/{engagement['id']}"))["status"] == "ended"


async def test_a_second_end_of_the_same_match_changes_nothing(
    app: FastAPI, client: httpx.AsyncClient, keys: TestKeys, payload: Any, outbox: Any
) -> None:
    world = Scheduling(app, client, keys, payload)
    engagement = await world.opened()
    upcoming = await world.booked(engagement, now_minute() + timedelta(days=7))
    first = now_minute() - timedelta(hours=1)
    await world.end(engagement["match_id"], ended_at=first)
    before = await world.get(f"/{engagement['id']}")

    await world.end(engagement["match_id"], reason="terminated", ended_at=now_minute())

    assert await world.get(f"/{engagement['id']}") == before
    assert datetime.fromisoformat(before["ended_at"]) == first
    assert await outbox("SessionCancelled", session_id=upcoming) == 1


async def test_match_ended_before_its_approval_opens_nothing(
    app: FastAPI, client: httpx.AsyncClient, keys: TestKeys, payload: Any, outbox: Any
) -> None:
    world = Scheduling(app, client, keys, payload)
    match_id = str(uuid.uuid4())
    await world.end(match_id, reason="withdrawn")

    approved = await world.approve(match_id=match_id)

    assert await world.engagement_of(approved) is None
    assert await outbox("EngagementCreated", match_id=match_id) == 0


async def test_reassignment_ends_the_old_engagement_and_the_new_match_opens_one(
    app: FastAPI, client: httpx.AsyncClient, keys: TestKeys, payload: Any
) -> None:
    """Matching sends `MatchEnded` (reassigned) for the old match and `MatchApproved` for the new one."""
    world = Scheduling(app, client, keys, payload)
    participant = str(uuid.uuid4())
    old = await world.opened(participant_id=participant)
    upcoming = await world.booked(old, now_minute() + timedelta(days=7))

    await world.end(old["match_id"], reason="reassigned")
    new = await world.opened(participant_id=participant)

    assert (await world.sessions(old))[upcoming]["cancel_reason"] == "The match ended (reassigned)."
    assert (await world.get(f"/{old['id']}"))["status"] == "ended"
    assert new["status"] == "active"
    # The participant's time is free again for the new coach.
    await world.booked(new, now_minute() + timedelta(days=7))


async def test_malformed_event_changes_nothing(
    app: FastAPI, client: httpx.AsyncClient, keys: TestKeys, payload: Any
) -> None:
    world = Scheduling(app, client, keys, payload)
    engagement = await world.opened()
    data = match_ended(engagement["match_id"])
    del data["ended_at"]

    # An invalid event: the kit parks it where operations see it, it is never retried.
    with pytest.raises(InvalidEvent, match="MatchEnded: ended_at: missing"):
        await world.apply(MATCH_ENDED, envelope("MatchEnded", data))

    assert (await world.get(f"/{engagement['id']}"))["status"] == "active"


async def test_published_match_ended_is_consumed_from_the_broker(
    app: FastAPI, keys: TestKeys, payload: Any
) -> None:
    async with asgi_client(app) as client:
        world = Scheduling(app, client, keys, payload)
        engagement = await world.opened()
        upcoming = await world.booked(engagement, now_minute() + timedelta(days=7))
        js = await app.state.broker.jetstream(timeout=5)
        event = envelope("MatchEnded", match_ended(engagement["match_id"], reason="completed"))
        await js.publish("tandem.matching.MatchEnded", event.model_dump_json().encode())

        async def cancelled() -> bool:
            return (await world.sessions(engagement))[upcoming]["status"] == "cancelled"

        assert await eventually(cancelled) is True
        assert (await world.get(f"/{engagement['id']}"))["status"] == "ended"


async def test_a_booking_in_flight_waits_for_the_end_and_is_refused(
    app: FastAPI, keys: TestKeys, payload: Any
) -> None:
    """Ending locks the engagement; a booking started meanwhile sees the ended engagement, not a
    stale active one (which would leave a live session on an ended engagement)."""
    async with asgi_client(app) as client:
        world = Scheduling(app, client, keys, payload)
        engagement = await world.opened()
        async with app.state.database.sessionmaker() as session, session.begin():
            data = MatchEnded.model_validate(match_ended(engagement["match_id"]))
            await ending.end_match(session, data)
            booking = asyncio.create_task(world.book(engagement, now_minute() + timedelta(days=2), "kickoff"))
            await asyncio.sleep(0.3)
            assert not booking.done()
        resp = await booking

        assert resp.status_code == 409, resp.text
        assert resp.json()["type"].rsplit("/", 1)[1] == "engagement-not-active"
