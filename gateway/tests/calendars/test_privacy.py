"""A person's calendar-sync rows exported and erased (the parts the gateway's privacy registry runs)."""

import uuid
from datetime import UTC, datetime, timedelta

from tandem_gateway.calendars import privacy

from .conftest import Stack
from .test_events import booked, settled


async def test_export_then_erase_a_person(stack: Stack) -> None:
    ana, other, session_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await stack.connect("google", ana, "ana@example.test")
    await stack.publish("SessionBooked", booked(session_id, ana, other))
    await settled(stack, session_id, "written", "skipped")
    day = datetime(2030, 3, 4, tzinfo=UTC)
    assert (await stack.free_busy([ana], day, day + timedelta(days=1))).status_code == 200

    async with stack.sessionmaker() as session, session.begin():
        exported = await privacy.export_person(session, ana)
        erased = await privacy.erase_person(session, ana)
    async with stack.sessionmaker() as session:
        after = await privacy.export_person(session, ana)
        others = await privacy.export_person(session, other)

    assert [r["kind"] for r in exported] == ["session_event", "busy_cache", "notification_channel"]
    assert exported[0] == {
        "kind": "session_event",
        "session_id": str(session_id),
        "engagement_id": exported[0]["engagement_id"],
        "starts_at": "2030-03-04T09:00:00+00:00",
        "ends_at": "2030-03-04T10:00:00+00:00",
        "state": "written",
        "skip_reason": None,
        "provider": "google",
    }
    assert exported[1]["busy"] == [["2030-03-04T09:00:00+00:00", "2030-03-04T10:00:00+00:00"]]
    assert erased == 3
    assert after == []
    assert [(r["kind"], r["state"], r["skip_reason"]) for r in others] == [
        ("session_event", "skipped", "not_connected")
    ]


async def test_the_gateway_answers_for_calendar_sync_through_its_registry(stack: Stack) -> None:
    ana, other, session_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await stack.connect("google", ana, "ana@example.test")
    await stack.publish("SessionBooked", booked(session_id, ana, other))
    await settled(stack, session_id, "written", "skipped")
    await stack.google.drain()  # the notification of the session's own event has re-read the calendar
    registry = stack.app.state.personal_data

    async with stack.sessionmaker() as session, session.begin():
        exported = await registry.export_person(session, ana)
        erased = await registry.erase_person(session, ana)

    assert privacy.PART in registry.parts
    kinds = [r["kind"] for r in exported.export[privacy.PART]]
    assert kinds == ["session_event", "busy_cache", "notification_channel"]
    assert f"{privacy.PART} 3" in erased.detail
