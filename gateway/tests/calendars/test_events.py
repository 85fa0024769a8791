"""Booked sessions written into both calendars by the consumer of scheduling's events, over the broker."""

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from tandem_gateway.calendars.domain import google_event_id
from tandem_gateway.models import SessionEvent
from tandem_gateway.testing import bearer
from tandem_kit.testing import eventually

from .conftest import Stack

STARTS = datetime(2030, 3, 4, 9, tzinfo=UTC)
ENDS = STARTS + timedelta(hours=1)
GOOGLE_INSERT = "POST /calendar/v3/calendars/primary/events"


def booked(session_id: uuid.UUID, participant: uuid.UUID, provider_person: uuid.UUID) -> dict[str, Any]:
    return {
        "session_id": str(session_id),
        "engagement_id": str(uuid.uuid4()),
        "match_id": str(uuid.uuid4()),
        "participant_id": str(participant),
        "provider_id": str(uuid.uuid4()),
        "provider_person_id": str(provider_person),
        "starts_at": STARTS.isoformat(),
        "ends_at": ENDS.isoformat(),
        "kind": "regular",
    }


async def states(stack: Stack, session_id: uuid.UUID) -> dict[uuid.UUID, tuple[str, str | None]]:
    async with stack.sessionmaker() as session:
        rows = await session.scalars(select(SessionEvent).where(SessionEvent.session_id == session_id))
        return {r.person_id: (r.state, r.skip_reason) for r in rows}


async def settled(
    stack: Stack, session_id: uuid.UUID, *wanted: str
) -> dict[uuid.UUID, tuple[str, str | None]]:
    async def check() -> dict[uuid.UUID, tuple[str, str | None]] | None:
        found = await states(stack, session_id)
        return found if len(found) == 2 and all(s in wanted for s, _ in found.values()) else None

    result: dict[uuid.UUID, tuple[str, str | None]] = await eventually(check, timeout=20)
    return result


def graph_events(stack: Stack, user: str, session_id: uuid.UUID) -> list[dict[str, Any]]:
    return [e for e in stack.microsoft.live_events(user) if e.get("transactionId") == str(session_id)]


def google_events(stack: Stack, user: str, session_id: uuid.UUID) -> list[dict[str, Any]]:
    return [e for e in stack.google.live_events(user) if e["id"] == google_event_id(session_id)]


async def test_a_retried_delivery_makes_exactly_one_event_per_calendar(stack: Stack) -> None:
    ana, ben, session_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await stack.connect("google", ana, "ana@example.test")
    await stack.connect("microsoft", ben, "ben@contoso.test")
    # Graph fails every try of the first delivery, after Google was written: the delivery is rolled
    # back and comes again, and the second Google insert finds the event of the first.
    stack.microsoft.fail_next(503, 503, 503, retry_after="0")

    await stack.publish("SessionBooked", booked(session_id, ana, ben))
    written = await settled(stack, session_id, "written")
    # A second SessionBooked for the same session (a re-emitted event, another id) changes nothing.
    await stack.publish("SessionBooked", booked(session_id, ana, ben))
    await stack.publish(
        "SessionCancelled", {"session_id": str(uuid.uuid4()), "engagement_id": str(uuid.uuid4())}
    )

    assert written == {ana: ("written", None), ben: ("written", None)}
    assert stack.google.api_calls.count(GOOGLE_INSERT) == 2
    [event] = google_events(stack, "ana@example.test", session_id)
    assert (event["summary"], event["start"]["dateTime"], event["end"]["dateTime"]) == (
        "Tandem session",
        "2030-03-04T09:00:00Z",
        "2030-03-04T10:00:00Z",
    )
    [graph_event] = graph_events(stack, "ben@contoso.test", session_id)
    assert graph_event["subject"] == "Tandem session"
    assert len(stack.google.live_events("ana@example.test")) == 1
    assert len(stack.microsoft.live_events("ben@contoso.test")) == 1


async def test_cancel_takes_the_event_out_of_both_calendars(stack: Stack) -> None:
    ana, ben, session_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await stack.connect("google", ana, "ana@example.test")
    await stack.connect("microsoft", ben, "ben@contoso.test")
    await stack.publish("SessionBooked", booked(session_id, ana, ben))
    await settled(stack, session_id, "written")

    await stack.publish(
        "SessionCancelled", {"session_id": str(session_id), "engagement_id": str(uuid.uuid4())}
    )
    cancelled = await settled(stack, session_id, "cancelled")

    assert cancelled == {ana: ("cancelled", None), ben: ("cancelled", None)}
    assert google_events(stack, "ana@example.test", session_id) == []
    assert (
        stack.google.calendar("ana@example.test").events[google_event_id(session_id)]["status"] == "cancelled"
    )
    assert graph_events(stack, "ben@contoso.test", session_id) == []


async def test_a_person_without_a_calendar_is_skipped_and_recorded(stack: Stack) -> None:
    ana, nobody, session_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await stack.connect("google", ana, "ana@example.test")

    await stack.publish("SessionBooked", booked(session_id, nobody, ana))
    found = await settled(stack, session_id, "written", "skipped")

    assert found == {ana: ("written", None), nobody: ("skipped", "not_connected")}
    assert len(google_events(stack, "ana@example.test", session_id)) == 1


async def test_429_waits_what_retry_after_says(stack: Stack) -> None:
    ana, nobody, session_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await stack.connect("google", ana, "ana@example.test")
    stack.google.fail_next(429, retry_after="2")

    started = time.perf_counter()
    await stack.publish("SessionBooked", booked(session_id, ana, nobody))
    await settled(stack, session_id, "written", "skipped")
    took = time.perf_counter() - started

    assert 2.0 <= took < 6.0
    assert stack.google.api_calls.count(GOOGLE_INSERT) == 2
    assert len(google_events(stack, "ana@example.test", session_id)) == 1


async def test_a_write_that_keeps_failing_becomes_a_dead_letter(stack: Stack) -> None:
    ben, nobody, session_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await stack.connect("microsoft", ben, "ben@contoso.test")
    stack.microsoft.fail_next(*[503] * 9, retry_after="0")  # 3 deliveries x 3 tries each
    token = await stack.token("admin")

    await stack.publish("SessionBooked", booked(session_id, nobody, ben))

    async def parked() -> list[dict[str, Any]] | None:
        async with httpx.AsyncClient(base_url=stack.url) as http:
            answer = await http.get("/api/v1/gateway/admin/dead-letters", headers=bearer(token))
        items: list[dict[str, Any]] = answer.json()["items"]
        return items or None

    [letter] = await eventually(parked, timeout=20)
    assert (letter["consumer"], letter["event_type"], letter["reason"], letter["attempts"]) == (
        "gateway-calendar-writer",
        "SessionBooked",
        "exhausted",
        3,
    )
    assert letter["error_type"] == "ProviderError"
    assert await states(stack, session_id) == {}  # every failed delivery was rolled back
    assert graph_events(stack, "ben@contoso.test", session_id) == []
