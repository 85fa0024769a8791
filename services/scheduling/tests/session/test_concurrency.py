import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from tandem_kit.testing import TestKeys, asgi_client
from tandem_scheduling.engagement import service as engagement_service
from tandem_scheduling.engagement.schemas import MatchApproved
from tandem_scheduling.models import Engagement, SessionAttendee


async def committed_engagement(app: FastAPI, data: dict[str, Any]) -> Engagement:
    async with app.state.database.sessionmaker() as session:
        engagement = await engagement_service.create_from_match(session, MatchApproved.model_validate(data))
        await session.commit()
        return engagement


async def test_concurrent_conflicting_bookings_one_wins(
    app: FastAPI, keys: TestKeys, payload: Any, monday: datetime
) -> None:
    coach = str(uuid.uuid4())
    # Ten engagements of one coach with ten different participants: only the coach's calendar collides.
    engagements = [await committed_engagement(app, payload(provider_person_id=coach)) for _ in range(10)]
    headers = keys.headers("scheduling:write")
    async with asgi_client(app) as client:
        responses = await asyncio.gather(
            *(
                client.post(
                    f"/api/v1/scheduling/engagements/{e.id}/sessions",
                    json={
                        "starts_at": (monday + timedelta(minutes=15 * (i % 4))).isoformat(),
                        "kind": "kickoff",
                    },
                    headers=headers,
                )
                for i, e in enumerate(engagements)
            )
        )
    assert Counter(r.status_code for r in responses) == {201: 1, 409: 9}
    assert {r.json()["type"].rsplit("/", 1)[1] for r in responses if r.status_code == 409} == {"slot-taken"}
    async with app.state.database.sessionmaker() as session:
        holds = await session.scalar(
            select(func.count()).where(
                SessionAttendee.person_id == uuid.UUID(coach), SessionAttendee.cancelled.is_(False)
            )
        )
    assert holds == 1


SESSION_ROW = text(
    "INSERT INTO sessions (id, engagement_id, kind, status, starts_at, ends_at, booked_by) "
    "VALUES (:id, :engagement, 'regular', 'booked', :start, :end, 'test')"
)
HOLD_ROW = text(
    "INSERT INTO session_attendees (session_id, person_id, during, cancelled) "
    "VALUES (:id, :person, tstzrange(:start, :end), :cancelled)"
)


async def test_database_refuses_overlap_by_itself(app: FastAPI, payload: Any, monday: datetime) -> None:
    """The guarantee is the exclusion constraint, not a check in application code."""
    engagement = await committed_engagement(app, payload())

    def row(offset: int, *, cancelled: bool = False) -> dict[str, Any]:
        return {
            "id": uuid.uuid4(),
            "engagement": engagement.id,
            "person": engagement.participant_id,
            "start": monday + timedelta(minutes=offset),
            "end": monday + timedelta(minutes=offset + 60),
            "cancelled": cancelled,
        }

    async with app.state.database.engine.connect() as conn:
        outer = await conn.begin()
        try:
            for params in (row(0), row(15, cancelled=True), row(60)):
                await conn.execute(SESSION_ROW, params)
                await conn.execute(HOLD_ROW, params)
            overlapping = row(30)
            await conn.execute(SESSION_ROW, overlapping)
            with pytest.raises(IntegrityError) as caught:
                await conn.execute(HOLD_ROW, overlapping)
            assert getattr(caught.value.orig, "sqlstate", None) == "23P01"
        finally:
            await outer.rollback()


async def _waiting_on_a_lock(conn: AsyncConnection, *, besides: int) -> None:
    """Until another backend of this database waits on a lock (polled: no fixed sleep)."""
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> :me AND wait_event_type = 'Lock'"
    )
    async with asyncio.timeout(10):
        while not await conn.scalar(waiting, {"me": besides}):
            await conn.rollback()  # pg_stat_activity is a snapshot per transaction
            await asyncio.sleep(0.01)


@asynccontextmanager
async def booking_deadlock_timeout(app: FastAPI, timeout: str) -> AsyncIterator[None]:
    """The app's connections check for a deadlock `timeout` after they start waiting (PostgreSQL checks
    once): long enough for the rival below to close the cycle first on a loaded machine."""
    engine = app.state.database.engine

    async def set_timeout(value: str | None) -> None:
        async with engine.connect() as conn:
            name = await conn.scalar(text("SELECT current_database()"))
            change = f"SET deadlock_timeout = '{value}'" if value else "RESET deadlock_timeout"
            await conn.execute(text(f'ALTER DATABASE "{name}" {change}'))
            await conn.commit()
        await engine.dispose()  # pooled connections keep the old value

    await set_timeout(timeout)
    try:
        yield
    finally:
        await set_timeout(None)


async def test_booking_chosen_as_deadlock_victim_is_written_again_and_refused_cleanly(
    app: FastAPI, keys: TestKeys, payload: Any, monday: datetime
) -> None:
    """Two conflicting writers each insert their hold before looking for conflicts, so each can wait
    for the other: PostgreSQL aborts one. The booking it aborts writes again (savepoint) and answers
    409 slot-taken, not 500."""
    coach = str(uuid.uuid4())
    mine = await committed_engagement(app, payload(provider_person_id=coach))
    theirs = await committed_engagement(app, payload(provider_person_id=coach))
    hour = {"start": monday, "end": monday + timedelta(hours=1), "cancelled": False}
    first, second = uuid.uuid4(), uuid.uuid4()
    engine = app.state.database.engine
    async with (
        booking_deadlock_timeout(app, "2s"),
        engine.connect() as rival,
        engine.connect() as watcher,
        asgi_client(app) as client,
    ):
        outer = await rival.begin()
        # The rival detects late: the booking, waiting first, is the one PostgreSQL aborts.
        await rival.execute(text("SET LOCAL deadlock_timeout = '30s'"))
        me = await rival.scalar(text("SELECT pg_backend_pid()"))
        await rival.execute(SESSION_ROW, {**hour, "id": first, "engagement": theirs.id})
        await rival.execute(HOLD_ROW, {**hour, "id": first, "person": uuid.UUID(coach)})
        booking = asyncio.create_task(
            client.post(
                f"/api/v1/scheduling/engagements/{mine.id}/sessions",
                json={"starts_at": monday.isoformat(), "kind": "kickoff"},
                headers=keys.headers("scheduling:write"),
            )
        )
        # The booking's holds are in the index and it waits for the rival's coach hold...
        await _waiting_on_a_lock(watcher, besides=me)
        # ...and the rival now takes the booking participant's hour: each waits for the other.
        await rival.execute(SESSION_ROW, {**hour, "id": second, "engagement": theirs.id})
        await rival.execute(HOLD_ROW, {**hour, "id": second, "person": mine.participant_id})
        await outer.commit()
        response = await booking
    assert response.status_code == 409, response.text
    assert response.json()["type"].rsplit("/", 1)[1] == "slot-taken"
    async with app.state.database.sessionmaker() as session:
        holds = await session.scalar(
            select(func.count()).where(
                SessionAttendee.person_id.in_([uuid.UUID(coach), mine.participant_id]),
                SessionAttendee.cancelled.is_(False),
            )
        )
    assert holds == 2  # the rival's two; nothing of the refused booking
