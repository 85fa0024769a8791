"""End to end through the real gateway: a booked session is written into the coach's Microsoft calendar
(the gateway's writer, from `SessionBooked`); the calendar's notification about that event is no
conflict (the gateway leaves the sessions' own events out of `CalendarBusyChanged`), and a meeting then
added wholly inside the session is one, announced once."""

import uuid
from datetime import datetime, timedelta
from typing import Any

from fastapi import FastAPI
from sqlalchemy import func, select

from tandem_kit.events import outbox_messages, processed_events
from tandem_kit.testing import TestKeys, asgi_client, eventually
from tandem_scheduling.engagement import service as engagement_service
from tandem_scheduling.engagement.schemas import MatchApproved
from tandem_scheduling.gateway_client import links

Calendars = Any  # the `calendars` fixture (conftest.py): the real gateway and its fakes


async def conflicts_of(app: FastAPI, session_id: str) -> list[dict[str, Any]]:
    async with app.state.database.sessionmaker() as session:
        payloads = await session.scalars(
            select(outbox_messages.c.payload).where(
                outbox_messages.c.subject == "tandem.scheduling.SessionConflictDetected",
                outbox_messages.c.payload["data"]["session_id"].astext == session_id,
            )
        )
        return [p["data"] for p in payloads]


async def test_the_session_s_own_event_is_none_and_a_meeting_inside_it_is_a_conflict(
    app: FastAPI, keys: TestKeys, payload: Any, monday: datetime, calendars: Calendars
) -> None:
    coach = uuid.uuid4()
    login = f"coach-{coach.hex[:8]}@contoso.test"
    await calendars.connect("microsoft", coach, login)

    async def linked() -> bool:
        async with app.state.database.sessionmaker() as session:
            return await links.connected_people(session, [coach]) == {coach}

    assert await eventually(linked, timeout=15) is True
    async with app.state.database.sessionmaker() as session:
        data = MatchApproved.model_validate(payload(provider_person_id=str(coach)))
        engagement = await engagement_service.create_from_match(session, data)
        await session.commit()
    starts = monday + timedelta(weeks=5)  # a week of its own (this test commits)
    async with asgi_client(app) as client:
        resp = await client.post(
            f"/api/v1/scheduling/engagements/{engagement.id}/sessions",
            json={"starts_at": starts.isoformat(), "kind": "kickoff"},
            headers=keys.headers("scheduling:read", "scheduling:write"),
        )
    assert resp.status_code == 201, resp.text
    session_id = resp.json()["id"]

    # The gateway's writer puts the session into the coach's calendar (transactionId = session id).
    def written() -> bool:
        return any(e.get("transactionId") == session_id for e in calendars.microsoft.live_events(login))

    assert await eventually(written, timeout=20) is True
    await calendars.microsoft.drain()

    async def own_event_notices() -> list[uuid.UUID]:
        async with calendars.app.state.database.sessionmaker() as session:
            ids = await session.scalars(
                select(outbox_messages.c.payload["id"].astext).where(
                    outbox_messages.c.subject == "tandem.gateway.CalendarBusyChanged",
                    outbox_messages.c.payload["data"]["person_id"].astext == str(coach),
                )
            )
            return [uuid.UUID(i) for i in ids]

    notices = await eventually(own_event_notices, timeout=20)

    async def applied() -> bool:
        async with app.state.database.sessionmaker() as session:
            done = await session.scalar(
                select(func.count()).where(
                    processed_events.c.event_id.in_(notices),
                    processed_events.c.consumer == "scheduling-calendar-conflicts",
                )
            )
            return done == len(notices)

    # Scheduling's consumer (it shares the broker with the gateway) applied them: nothing announced.
    assert await eventually(applied, timeout=20) is True
    assert await conflicts_of(app, session_id) == []

    # A meeting wholly inside the session: before, it merged with the session's own event into the
    # session's interval and was never seen.
    inside = (starts + timedelta(minutes=15), starts + timedelta(minutes=30))
    calendars.microsoft.put_event(
        login,
        {
            "start": {"dateTime": inside[0].strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
            "end": {"dateTime": inside[1].strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
        },
    )
    await calendars.microsoft.drain()

    async def announced() -> list[dict[str, Any]]:
        return await conflicts_of(app, session_id)

    conflicts = await eventually(announced, timeout=20)
    assert [(c["person_id"], c["starts_at"], c["ends_at"]) for c in conflicts] == [
        (
            str(coach),
            inside[0].isoformat().replace("+00:00", "Z"),
            inside[1].isoformat().replace("+00:00", "Z"),
        )
    ]
