import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from tandem_kit.events import EventEnvelope, outbox_messages
from tandem_kit.testing import sessionmaker_of
from tandem_scheduling.privacy.service import ERASED_TIMEZONE, ERASURE_REASON, NOTHING_HELD

# The fixtures and the World helper live in this folder's conftest.py.


async def test_access_through_the_broker_exports_the_persons_rows_only(committed_world: Any) -> None:
    world = committed_world
    person = await world.person_with_data()
    request = await world.open_request(person.id, "access")

    receipt = await world.answered(request["id"])

    assert (receipt["outcome"], receipt["records"]) == ("completed", person.RECORDS)
    assert receipt["detail"] == (
        "2 engagement(s), 4 session(s), 4 calendar hold(s), 1 working agreement(s), 6 SLA clock(s)."
    )
    assert (await world.request(request["id"]))["status"] == "completed"
    export = (await world.export(request["id"]))["scheduling"]
    engagements = {e["id"]: e for e in export["engagements"]}
    assert set(engagements) == {person.engagement["id"], person.coaching["id"]}
    mine = engagements[person.engagement["id"]]
    assert mine["roles"] == ["participant"]
    assert mine["participant_timezone"] == "America/New_York"
    assert "provider_timezone" not in mine
    assert "provider_id" not in mine
    coaching = engagements[person.coaching["id"]]
    assert coaching["roles"] == ["provider"]
    assert coaching["provider_id"] == person.coaching["provider_id"]
    assert "participant_working_hours" not in coaching
    sessions = {s["id"]: s for s in export["sessions"]}
    assert set(sessions) == set(person.sessions.values()) - {person.sessions["strangers"]}
    assert sessions[person.sessions["next_week"]]["booked_by"] == f"user-{person.id}"
    assert sessions[person.sessions["coaching_kickoff"]]["booked_by"] is None  # the coachee booked it
    assert sessions[person.sessions["cancelled"]]["cancel_reason"] == "Ana was ill."
    assert [h["session_id"] for h in export["session_attendees"]] == [
        person.sessions[k] for k in ("held_kickoff", "cancelled", "next_week", "coaching_kickoff")
    ]
    [agreement] = export["working_agreements"]
    assert agreement["clauses"]["scope"].startswith("Ana's goal")
    assert agreement["participant_signed_at"] is not None
    assert "provider_signed_at" not in agreement
    assert len(export["sla_clocks"]) == 6
    # Nothing about anyone else: neither the coach, nor the coachee, nor the strangers' engagement.
    text = json.dumps(export)
    for other in (person.coach, person.coachee, person.strangers["id"], person.strangers["participant_id"]):
        assert str(other) not in text


async def test_erasure_through_the_broker_deletes_content_and_deidentifies_shared_rows(
    committed_world: Any,
) -> None:
    world = committed_world
    person = await world.person_with_data()
    before = {e["id"]: await world.get(f"/{e['id']}") for e in (person.engagement, person.coaching)}
    request = await world.open_request(person.id, "erasure")

    receipt = await world.answered(request["id"])

    assert (receipt["outcome"], receipt["records"]) == ("completed", person.RECORDS)
    assert receipt["detail"] == (
        "Ended and de-identified 2 engagement(s) with their 4 session(s) (2 future one(s) cancelled) and "
        # None of the kickoffs was recorded attended: every promise still ahead went with the end.
        "6 SLA clock(s) (6 not yet due deleted); de-identified 4 calendar hold(s); deleted 1 working "
        "agreement(s)."
    )
    assert (await world.get(f"?participant_id={person.id}"))["items"] == []
    mine = await world.get(f"/{person.engagement['id']}")
    alias = mine["participant_id"]
    assert alias != str(person.id)
    assert (mine["status"], mine["participant_timezone"], mine["participant_working_hours"]) == (
        "ended",
        ERASED_TIMEZONE,
        [],
    )
    assert before[mine["id"]]["ended_at"] is None
    assert datetime.fromisoformat(mine["ended_at"]) > datetime.fromisoformat(
        before[mine["id"]]["approved_at"]
    )
    # The coach's side is theirs and stays.
    assert mine["provider_person_id"] == str(person.coach)
    assert mine["provider_timezone"] == "Europe/Berlin"
    assert mine["provider_working_hours"] == before[person.engagement["id"]]["provider_working_hours"]
    coaching = await world.get(f"/{person.coaching['id']}")
    assert coaching["provider_person_id"] == alias  # one id for the person across the service
    assert coaching["provider_id"] not in (person.coaching["provider_id"], str(person.id))
    assert (coaching["provider_timezone"], coaching["provider_working_hours"]) == (ERASED_TIMEZONE, [])
    assert (coaching["participant_id"], coaching["participant_timezone"]) == (
        str(person.coachee),
        "America/New_York",
    )

    sessions = {s["id"]: s for s in (await world.get(f"/{person.engagement['id']}/sessions"))["items"]}
    held = sessions[person.sessions["held_kickoff"]]
    assert held["status"] == "booked"  # past sessions stay for attendance and SLA statistics
    assert sessions[person.sessions["cancelled"]]["cancel_reason"] is None
    upcoming = sessions[person.sessions["next_week"]]
    assert (upcoming["status"], upcoming["cancel_reason"]) == ("cancelled", ERASURE_REASON)
    assert upcoming["booked_by"] == f"user-{alias}"
    [kickoff] = (await world.get(f"/{person.coaching['id']}/sessions"))["items"]
    assert kickoff["status"] == "cancelled"
    # Not yet due: the erasure removes the promise rather than making it a breach.
    assert await world.get(f"/{person.coaching['id']}/sla-clocks") == []
    await world.get(f"/{person.engagement['id']}/working-agreement", status=404)

    assert await world.holds(person.id) == []
    assert len(await world.holds(alias)) == 4
    coach_holds = {str(h.session_id): h.cancelled for h in await world.holds(person.coach)}
    assert coach_holds == {
        person.sessions["held_kickoff"]: False,
        person.sessions["cancelled"]: True,
        person.sessions["next_week"]: True,
    }
    async with sessionmaker_of(world.app)() as session:
        cancelled_events = await session.scalar(
            select(func.count()).where(
                outbox_messages.c.subject == "tandem.scheduling.SessionCancelled",
                outbox_messages.c.payload["data"]["reason_code"].astext == "erased",
                outbox_messages.c.payload["data"]["session_id"].astext.in_(
                    [person.sessions["next_week"], person.sessions["coaching_kickoff"]]
                ),
            )
        )
    assert cancelled_events == 2
    # Someone else's engagement is untouched.
    strangers = await world.get(f"/{person.strangers['id']}")
    assert strangers == person.strangers
    [theirs] = (await world.get(f"/{person.strangers['id']}/sessions"))["items"]
    assert theirs["status"] == "booked"

    follow_up = await world.open_request(person.id, "access")
    after = await world.answered(follow_up["id"])
    assert (after["outcome"], after["records"], after["detail"]) == ("nothing_held", 0, NOTHING_HELD)


async def test_erasing_twice_is_harmless(world: Any) -> None:
    person = await world.person_with_data()
    first = await world.open_request(person.id, "erasure")
    assert await world.apply(await world.envelope(first["id"])) is True
    erased = await world.get(f"/{person.engagement['id']}")
    second = await world.open_request(person.id, "erasure")

    assert await world.apply(await world.envelope(second["id"])) is True

    receipt = await world.receipt(second["id"])
    assert receipt is not None
    assert (receipt["outcome"], receipt["records"]) == ("nothing_held", 0)
    assert await world.get(f"/{person.engagement['id']}") == erased


async def test_same_event_twice_is_applied_once(world: Any) -> None:
    person = await world.person_with_data()
    request = await world.open_request(person.id, "erasure")
    envelope = await world.envelope(request["id"])

    assert await world.apply(envelope) is True
    assert await world.apply(envelope) is False

    receipts = [r for r in (await world.request(request["id"]))["receipts"] if r["service"] == "scheduling"]
    assert [(r["outcome"], r["records"]) for r in receipts] == [("completed", person.RECORDS)]
    async with sessionmaker_of(world.app)() as session:
        cancelled = await session.scalar(
            select(func.count()).where(
                outbox_messages.c.subject == "tandem.scheduling.SessionCancelled",
                outbox_messages.c.payload["data"]["engagement_id"].astext == person.engagement["id"],
                outbox_messages.c.payload["data"]["reason_code"].astext == "erased",
            )
        )
    assert cancelled == 1


async def test_same_request_answered_again_gives_the_same_receipt(world: Any) -> None:
    """A redelivery after a lost commit runs the access again: consent sees the identical receipt."""
    person = await world.person_with_data()
    request = await world.open_request(person.id, "access")
    envelope = await world.envelope(request["id"])
    assert await world.apply(envelope) is True

    again = envelope.model_copy(update={"id": uuid.uuid4()})
    assert await world.apply(again) is True

    receipts = [r for r in (await world.request(request["id"]))["receipts"] if r["service"] == "scheduling"]
    assert len(receipts) == 1
    assert receipts[0]["records"] == person.RECORDS


async def test_request_not_listing_scheduling_is_ignored(world: Any) -> None:
    person = await world.person_with_data()
    request = await world.open_request(person.id, "erasure")
    envelope = await world.envelope(request["id"])
    elsewhere = envelope.model_copy(update={"data": {**envelope.data, "services": ["consent", "analytics"]}})

    assert await world.apply(elsewhere) is True

    assert await world.receipt(request["id"]) is None
    assert [e["id"] for e in (await world.get(f"?participant_id={person.id}"))["items"]] == [
        person.engagement["id"]
    ]
    assert await world.get(f"/{person.engagement['id']}") == person.engagement
    assert len(await world.holds(person.id)) == 4
    await world.get(f"/{person.engagement['id']}/working-agreement")


async def test_consent_unreachable_rolls_the_erasure_back(world: Any) -> None:
    person = await world.person_with_data()
    request = await world.open_request(person.id, "erasure")
    envelope = await world.envelope(request["id"])
    closed_port = world.consent_client("http://127.0.0.1:9", timeout=0.2)

    with pytest.raises(httpx.TransportError):
        await world.apply(envelope, consent=closed_port)

    assert await world.get(f"/{person.engagement['id']}") == person.engagement
    sessions = {s["id"]: s for s in (await world.get(f"/{person.engagement['id']}/sessions"))["items"]}
    assert sessions[person.sessions["next_week"]]["status"] == "booked"
    assert sessions[person.sessions["cancelled"]]["cancel_reason"] == "Ana was ill."
    assert len(await world.holds(person.id)) == 4
    await world.get(f"/{person.engagement['id']}/working-agreement")
    assert await world.receipt(request["id"]) is None
    # Nothing was marked as processed: the redelivery does the work.
    assert await world.apply(envelope) is True
    receipt = await world.receipt(request["id"])
    assert receipt is not None
    assert receipt["records"] == person.RECORDS


async def test_access_for_a_stranger_holds_nothing(committed_world: Any) -> None:
    world = committed_world
    request = await world.open_request(uuid.uuid4(), "access")

    receipt = await world.answered(request["id"])

    assert (receipt["outcome"], receipt["records"], receipt["detail"]) == ("nothing_held", 0, NOTHING_HELD)
    assert (await world.export(request["id"]))["scheduling"] is None


async def test_kickoff_promise_not_yet_due_ends_with_the_engagement(world: Any) -> None:
    me = uuid.uuid4()
    engagement = await world.engagement(me, uuid.uuid4())  # approved now: kickoff due in 7 days, 2 reviews
    request = await world.open_request(me, "erasure")

    assert await world.apply(await world.envelope(request["id"])) is True

    receipt = await world.receipt(request["id"])
    assert receipt is not None
    assert receipt["records"] == 4
    assert "(3 not yet due deleted)" in receipt["detail"]
    assert await world.get(f"/{engagement['id']}/sla-clocks") == []


async def test_late_match_approved_naming_an_erased_person_is_dropped(
    committed_world: Any, payload: Callable[..., dict[str, Any]]
) -> None:
    world = committed_world
    person = await world.person_with_data()
    await world.answered((await world.open_request(person.id, "erasure"))["id"])
    consumer = next(c for c in world.app.state.consumers if c.sub.name == "scheduling-match-approved")
    stranger = uuid.uuid4()

    # Emitted before the erasure, consumed after it: applied as done, without effect.
    for participant in (person.id, stranger):
        late = EventEnvelope(
            id=uuid.uuid4(),
            type="MatchApproved",
            source="matching",
            occurred_at=datetime.now(UTC),
            data=payload(participant_id=str(participant)),
        )
        assert await consumer.apply(late) is True

    assert (await world.get(f"?participant_id={person.id}"))["items"] == []
    assert len((await world.get(f"?participant_id={stranger}"))["items"]) == 1
