"""A person leaving frees their seats: the gateway's `PersonDeactivated` (through scheduling's consumer)
and an erasure release seats ahead, promote the waitlist and drop the person's waitlist places."""

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from tandem_kit.events import EventConsumer, EventEnvelope
from tandem_kit.testing import TestKeys, sessionmaker_of
from tandem_scheduling.lifecycle.consumers import PERSON_DEACTIVATED
from tandem_scheduling.models import GroupSeat, GroupSession, GroupWaitlistEntry, SessionAttendee
from tandem_scheduling.privacy import service as privacy

GROUPS = "/api/v1/scheduling/group-sessions"
WRITE = ("scheduling:read", "scheduling:write")
Outbox = Callable[..., Awaitable[int]]


def deactivated(person_id: uuid.UUID) -> EventEnvelope:
    at = datetime.now(UTC)
    data = {"person_id": str(person_id), "deactivated_at": at.isoformat(), "source": "scim"}
    return EventEnvelope(
        id=uuid.uuid4(), type="PersonDeactivated", source="gateway", occurred_at=at, data=data
    )


async def full_group(
    client: httpx.AsyncClient, keys: TestKeys, at: datetime, people: list[uuid.UUID], **overrides: Any
) -> str:
    """A one-seat group session: the first person seated, the others waiting in order."""
    body = {
        "program_id": str(uuid.uuid4()),
        "kind": "peer_cohort",
        "title": "Cohort",
        "starts_at": at.isoformat(),
        "ends_at": (at + timedelta(hours=1)).isoformat(),
        "timezone": "UTC",
        "seat_limit": 1,
        **overrides,
    }
    created = await client.post(GROUPS, json=body, headers=keys.headers(*WRITE))
    assert created.status_code == 201, created.text
    group_id: str = created.json()["id"]
    for who in people:
        booked = await client.post(
            f"{GROUPS}/{group_id}/seats", json={"person_id": str(who)}, headers=keys.headers(*WRITE)
        )
        assert booked.status_code == 201
    return group_id


async def view(client: httpx.AsyncClient, keys: TestKeys, group_id: str) -> dict[str, Any]:
    body: dict[str, Any] = (await client.get(f"{GROUPS}/{group_id}", headers=keys.headers(*WRITE))).json()
    return body


async def test_deactivation_releases_the_seat_and_the_waitlist_place(
    app: FastAPI, client: httpx.AsyncClient, keys: TestKeys, monday: datetime, outbox: Outbox
) -> None:
    alice, bob, carol, dan = (uuid.uuid4() for _ in range(4))
    group_id = await full_group(client, keys, monday, [alice, bob, carol, dan])
    consumer = EventConsumer(app.state.broker, sessionmaker_of(app), PERSON_DEACTIVATED)

    assert await consumer.apply(deactivated(alice))
    assert await consumer.apply(deactivated(carol))

    after = await view(client, keys, group_id)
    assert [(s["person_id"], s["from_waitlist"]) for s in after["seats"]] == [(str(bob), True)]
    assert [(w["person_id"], w["position"]) for w in after["waitlist"]] == [(str(dan), 1)]
    assert await outbox("GroupSeatReleased", person_id=str(alice), reason_code="person_deactivated") == 1
    assert await outbox("GroupSeatBooked", person_id=str(bob), from_waitlist="true") == 1
    again = await client.post(
        f"{GROUPS}/{group_id}/seats", json={"person_id": str(alice)}, headers=keys.headers(*WRITE)
    )
    assert again.status_code == 409
    assert again.json()["type"].endswith("/person-deactivated")


async def test_erasure_removes_seats_and_keeps_hosted_office_hours_anonymous(
    app: FastAPI, client: httpx.AsyncClient, keys: TestKeys, monday: datetime, outbox: Outbox
) -> None:
    alice, bob, host = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    group_id = await full_group(client, keys, monday, [alice, bob])
    hosted = await full_group(
        client, keys, monday + timedelta(days=1), [], kind="office_hours", host_person_id=str(host)
    )
    async with sessionmaker_of(app)() as session:
        export = await privacy.export_person(session, alice)
    assert export.export is not None
    assert [s["group_session_id"] for s in export.export["group_seats"]] == [group_id]

    async with sessionmaker_of(app)() as session:
        erased = await privacy.erase_person(session, alice)
        hosts = await privacy.erase_person(session, host)
        await session.commit()
    assert erased.records == 1
    assert hosts.records == 1

    after = await view(client, keys, group_id)
    assert [(s["person_id"], s["from_waitlist"]) for s in after["seats"]] == [(str(bob), True)]
    assert await outbox("GroupSeatReleased", person_id=str(alice), reason_code="erased") == 1
    async with sessionmaker_of(app)() as session:
        left = await session.scalar(
            select(func.count()).select_from(GroupSeat).where(GroupSeat.person_id == alice)
        )
        waiting = await session.scalar(
            select(func.count()).select_from(GroupWaitlistEntry).where(GroupWaitlistEntry.person_id == alice)
        )
        holds = await session.scalar(
            select(func.count())
            .select_from(SessionAttendee)
            .where(SessionAttendee.person_id.in_([alice, host]))
        )
        new_host = await session.scalar(
            select(GroupSession.host_person_id).where(GroupSession.id == uuid.UUID(hosted))
        )
    assert (left, waiting, holds) == (0, 0, 0)
    assert new_host not in (None, host)


async def test_a_deactivated_host_s_office_hours_ahead_are_cancelled(
    app: FastAPI, client: httpx.AsyncClient, keys: TestKeys, monday: datetime, outbox: Outbox
) -> None:
    host, other_host, alice, bob, carol = (uuid.uuid4() for _ in range(5))
    hours = {"kind": "office_hours", "title": "Office hours", "seat_limit": 2}
    # Two seats taken, Carol waiting; another host's office hours at the same time go on.
    hosted = await full_group(client, keys, monday, [alice, bob, carol], host_person_id=str(host), **hours)
    kept = await full_group(
        client, keys, monday + timedelta(hours=2), [alice], host_person_id=str(other_host), **hours
    )
    consumer = EventConsumer(app.state.broker, sessionmaker_of(app), PERSON_DEACTIVATED)

    assert await consumer.apply(deactivated(host))

    after = await view(client, keys, hosted)
    assert (after["status"], after["seats_taken"], after["waitlist_length"]) == ("cancelled", 0, 0)
    assert after["seats"] == []
    assert after["waitlist"] == []
    for who in (alice, bob):
        assert (
            await outbox(
                "GroupSeatReleased",
                group_session_id=hosted,
                person_id=str(who),
                reason_code="session_cancelled",
            )
            == 1
        )
    assert await outbox("GroupSeatBooked", group_session_id=hosted, from_waitlist="true") == 0
    async with sessionmaker_of(app)() as session:
        live = await session.scalar(
            select(func.count())
            .select_from(SessionAttendee)
            .where(
                SessionAttendee.group_session_id == uuid.UUID(hosted), SessionAttendee.cancelled.is_(False)
            )
        )
        reason = await session.scalar(
            select(GroupSession.cancel_reason).where(GroupSession.id == uuid.UUID(hosted))
        )
    assert live == 0
    assert reason == "The host was deactivated by the HRIS."
    # The people are free again at that time; the other host's office hours are untouched.
    assert (await view(client, keys, kept))["status"] == "scheduled"
    retry = await client.post(
        f"{GROUPS}/{hosted}/seats", json={"person_id": str(carol)}, headers=keys.headers(*WRITE)
    )
    assert retry.status_code == 409
    assert retry.json()["type"].endswith("/group-session-cancelled")
    # A repeat of the event finds nothing left to cancel.
    assert await consumer.apply(deactivated(host))
    assert await outbox("GroupSeatReleased", group_session_id=hosted) == 2
