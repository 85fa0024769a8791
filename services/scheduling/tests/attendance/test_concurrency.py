"""Marks at the same moment: one revision per change, and the engagement's count sees every mark.
Commits (each request its own transaction), so every test makes its own engagement."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from sqlalchemy import func, select

from tandem_kit.events import outbox_messages
from tandem_kit.testing import TestKeys, asgi_client
from tandem_scheduling.engagement import service as engagement_service
from tandem_scheduling.engagement.schemas import MatchApproved
from tandem_scheduling.models import AttendanceMark, AttendanceStanding, Engagement, Session

API = "/api/v1/scheduling"
WRITE = ("scheduling:read", "scheduling:write")


async def engagement_with_sessions(
    app: FastAPI, payload: Any, count: int
) -> tuple[Engagement, list[Session]]:
    now = datetime.now(UTC).replace(microsecond=0)
    async with app.state.database.sessionmaker() as session:
        engagement = await engagement_service.create_from_match(
            session, MatchApproved.model_validate(payload())
        )
        assert engagement is not None
        rows = [
            Session(
                engagement_id=engagement.id,
                kind="regular",
                status="booked",
                starts_at=now - timedelta(days=7 * (i + 1)),
                ends_at=now - timedelta(days=7 * (i + 1)) + timedelta(minutes=45),
                booked_by="test",
            )
            for i in range(count)
        ]
        session.add_all(rows)
        await session.commit()
    return engagement, rows


async def test_concurrent_marks_of_one_engagement_are_all_counted(
    app: FastAPI, keys: TestKeys, payload: Any
) -> None:
    engagement, rows = await engagement_with_sessions(app, payload, 6)
    headers = keys.headers(*WRITE, person_id=str(engagement.provider_person_id), roles=["coach"])
    outcomes = [
        "attended",
        "attended",
        "no_show_participant",
        "no_show_participant",
        "cancelled_late",
        "attended",
    ]
    async with asgi_client(app) as http:
        answers = await asyncio.gather(
            *(
                http.put(f"{API}/sessions/{row.id}/attendance", json={"outcome": o}, headers=headers)
                for row, o in zip(rows, outcomes, strict=True)
            )
        )
    assert [a.status_code for a in answers] == [200] * 6
    async with app.state.database.sessionmaker() as session:
        standing = await session.get(AttendanceStanding, engagement.id)
        flagged = await session.scalar(
            select(func.count()).where(
                outbox_messages.c.subject == "tandem.scheduling.EngagementAttendanceFlagged",
                outbox_messages.c.payload["data"]["engagement_id"].astext == str(engagement.id),
            )
        )
    assert standing is not None
    assert (standing.attended, standing.due, standing.flagged) == (3, 6, True)
    assert flagged == 1


async def test_the_same_mark_sent_at_once_is_one_revision(app: FastAPI, keys: TestKeys, payload: Any) -> None:
    engagement, [row] = await engagement_with_sessions(app, payload, 1)
    headers = keys.headers(*WRITE, person_id=str(engagement.participant_id), roles=["participant"])
    async with asgi_client(app) as http:
        answers = await asyncio.gather(
            *(
                http.put(f"{API}/sessions/{row.id}/attendance", json={"outcome": "attended"}, headers=headers)
                for _ in range(8)
            )
        )
    assert {a.status_code for a in answers} == {200}
    assert {a.json()["mark"]["revision"] for a in answers} == {1}
    async with app.state.database.sessionmaker() as session:
        marks = await session.scalar(select(func.count()).where(AttendanceMark.session_id == row.id))
    assert marks == 1
