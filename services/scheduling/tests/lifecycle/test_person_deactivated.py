"""The gateway's `PersonDeactivated` cancels the person's future sessions with their holds and refuses
new bookings with them; `PersonReactivated` allows bookings again; an older event never undoes a newer
one; a repeat changes nothing. Engagements stay open: ending the match is matching's (docs/contracts.md).

Most tests apply the events inside the test's rolled-back transaction (the `client` fixture), as the
consumer does; the broker test commits.
"""

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from tandem_kit.events import EventConsumer, EventEnvelope, Subscription
from tandem_kit.testing import TestKeys, asgi_client, eventually, sessionmaker_of
from tandem_scheduling.engagement import service as engagement_service
from tandem_scheduling.engagement.schemas import MatchApproved
from tandem_scheduling.lifecycle.consumers import PERSON_DEACTIVATED, PERSON_REACTIVATED
from tandem_scheduling.models import Engagement, SessionAttendee

BASE = "/api/v1/scheduling/engagements"
WRITE = ("scheduling:read", "scheduling:write")
ALL_DAY = [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)]
MakeEngagement = Callable[..., Awaitable[Engagement]]


def soon(days: int) -> datetime:
    return datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=days)


def deactivated(person_id: uuid.UUID, at: datetime) -> EventEnvelope:
    data = {"person_id": str(person_id), "deactivated_at": at.isoformat(), "source": "scim"}
    return EventEnvelope(
        id=uuid.uuid4(), type="PersonDeactivated", source="gateway", occurred_at=at, data=data
    )


def reactivated(person_id: uuid.UUID, at: datetime) -> EventEnvelope:
    data = {"person_id": str(person_id), "reactivated_at": at.isoformat(), "source": "scim"}
    return EventEnvelope(
        id=uuid.uuid4(), type="PersonReactivated", source="gateway", occurred_at=at, data=data
    )


async def apply(app: FastAPI, subscription: Subscription, event: EventEnvelope) -> bool:
    return await EventConsumer(app.state.broker, sessionmaker_of(app), subscription).apply(event)


async def book(
    client: httpx.AsyncClient, keys: TestKeys, engagement: Engagement, at: datetime, kind: str = "regular"
) -> httpx.Response:
    return await client.post(
        f"{BASE}/{engagement.id}/sessions",
        json={"starts_at": at.isoformat(), "kind": kind},
        headers=keys.headers(*WRITE),
    )


async def statuses(client: httpx.AsyncClient, keys: TestKeys, engagement: Engagement) -> dict[str, str]:
    resp = await client.get(f"{BASE}/{engagement.id}/sessions", headers=keys.headers(*WRITE))
    assert resp.status_code == 200, resp.text
    return {s["id"]: s["status"] for s in resp.json()["items"]}


async def live_holds(app: FastAPI, person_id: uuid.UUID) -> int:
    async with sessionmaker_of(app)() as session:
        statement = select(func.count()).where(
            SessionAttendee.person_id == person_id, SessionAttendee.cancelled.is_(False)
        )
        return int(await session.scalar(statement) or 0)


async def test_a_deactivated_participants_future_sessions_are_cancelled_with_their_holds(
    app: FastAPI,
    client: httpx.AsyncClient,
    keys: TestKeys,
    make_engagement: MakeEngagement,
    outbox: Callable[..., Awaitable[int]],
) -> None:
    engagement = await make_engagement(participant_working_hours=ALL_DAY, provider_working_hours=ALL_DAY)
    other = await make_engagement(participant_working_hours=ALL_DAY, provider_working_hours=ALL_DAY)
    first = (await book(client, keys, engagement, soon(2), "kickoff")).json()["id"]
    second = (await book(client, keys, engagement, soon(9))).json()["id"]
    untouched = (await book(client, keys, other, soon(2), "kickoff")).json()["id"]
    assert await live_holds(app, engagement.participant_id) == 2

    assert await apply(app, PERSON_DEACTIVATED, deactivated(engagement.participant_id, datetime.now(UTC)))

    assert await statuses(client, keys, engagement) == {first: "cancelled", second: "cancelled"}
    assert await statuses(client, keys, other) == {untouched: "booked"}
    assert await live_holds(app, engagement.participant_id) == 0
    # The provider's holds went with the sessions, too: the time is theirs again.
    assert await live_holds(app, engagement.provider_person_id) == 0
    assert await outbox("SessionCancelled", session_id=first, reason_code="person_deactivated") == 1
    assert await outbox("SessionCancelled", session_id=second, reason_code="person_deactivated") == 1
    resp = await client.get(f"{BASE}/{engagement.id}", headers=keys.headers(*WRITE))
    assert resp.json()["status"] == "active"  # ending the match is matching's decision


async def test_no_booking_with_a_deactivated_provider_until_reactivated(
    app: FastAPI, client: httpx.AsyncClient, keys: TestKeys, make_engagement: MakeEngagement
) -> None:
    engagement = await make_engagement(participant_working_hours=ALL_DAY, provider_working_hours=ALL_DAY)
    gone = datetime.now(UTC)
    assert await apply(app, PERSON_DEACTIVATED, deactivated(engagement.provider_person_id, gone))

    refused = await book(client, keys, engagement, soon(3), "kickoff")
    assert refused.status_code == 409, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["type"].rsplit("/", 1)[1] == "person-deactivated"

    back = gone + timedelta(minutes=5)
    assert await apply(app, PERSON_REACTIVATED, reactivated(engagement.provider_person_id, back))
    assert (await book(client, keys, engagement, soon(3), "kickoff")).status_code == 201


async def test_an_older_deactivation_delivered_late_does_not_undo_a_reactivation(
    app: FastAPI, client: httpx.AsyncClient, keys: TestKeys, make_engagement: MakeEngagement
) -> None:
    engagement = await make_engagement(participant_working_hours=ALL_DAY, provider_working_hours=ALL_DAY)
    gone = datetime.now(UTC) - timedelta(hours=1)
    assert await apply(
        app, PERSON_REACTIVATED, reactivated(engagement.participant_id, gone + timedelta(minutes=30))
    )
    kickoff = (await book(client, keys, engagement, soon(4), "kickoff")).json()["id"]

    assert await apply(app, PERSON_DEACTIVATED, deactivated(engagement.participant_id, gone))

    assert await statuses(client, keys, engagement) == {kickoff: "booked"}
    assert (await book(client, keys, engagement, soon(6))).status_code == 201


async def test_the_same_deactivation_twice_cancels_once(
    app: FastAPI,
    client: httpx.AsyncClient,
    keys: TestKeys,
    make_engagement: MakeEngagement,
    outbox: Callable[..., Awaitable[int]],
) -> None:
    engagement = await make_engagement(participant_working_hours=ALL_DAY, provider_working_hours=ALL_DAY)
    kickoff = (await book(client, keys, engagement, soon(2), "kickoff")).json()["id"]
    event = deactivated(engagement.participant_id, datetime.now(UTC))

    assert await apply(app, PERSON_DEACTIVATED, event) is True
    assert await apply(app, PERSON_DEACTIVATED, event) is False
    # A new event id with the same fact (an HRIS sync repeating itself) finds nothing left either.
    same_fact = EventEnvelope(**{**event.model_dump(), "id": uuid.uuid4()})
    assert await apply(app, PERSON_DEACTIVATED, same_fact) is True

    assert await outbox("SessionCancelled", session_id=kickoff) == 1


async def test_published_deactivation_is_consumed_from_the_broker(
    app: FastAPI, keys: TestKeys, payload: Callable[..., dict[str, Any]]
) -> None:
    async with asgi_client(app) as client, app.state.database.sessionmaker() as session:
        approved = payload(participant_working_hours=ALL_DAY, provider_working_hours=ALL_DAY)
        engagement = await engagement_service.create_from_match(
            session, MatchApproved.model_validate(approved)
        )
        await session.commit()
        kickoff = (await book(client, keys, engagement, soon(5), "kickoff")).json()["id"]
        js = await app.state.broker.jetstream(timeout=5)
        event = deactivated(engagement.provider_person_id, datetime.now(UTC))
        await js.publish("tandem.gateway.PersonDeactivated", event.model_dump_json().encode())

        async def cancelled() -> bool:
            return (await statuses(client, keys, engagement))[kickoff] == "cancelled"

        assert await eventually(cancelled) is True
