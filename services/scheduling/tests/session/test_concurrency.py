import asyncio
import uuid
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

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
