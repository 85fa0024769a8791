import asyncio
import contextlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from tandem_kit.events import outbox_messages
from tandem_kit.testing import TestKeys, eventually, sessionmaker_of
from tandem_scheduling.engagement import service as engagement_service
from tandem_scheduling.engagement.schemas import MatchApproved
from tandem_scheduling.models import Engagement, SlaClock
from tandem_scheduling.sla import tasks
from tandem_scheduling.sla.service import detect_breaches


def days_ago(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat()


async def committed_engagement(app: FastAPI, data: dict[str, Any]) -> Engagement:
    async with app.state.database.sessionmaker() as session:
        engagement = await engagement_service.create_from_match(session, MatchApproved.model_validate(data))
        await session.commit()
        return engagement


async def clock_of(app: FastAPI, engagement_id: uuid.UUID) -> SlaClock:
    """The engagement's kickoff clock."""
    async with sessionmaker_of(app)() as session:
        clock = await session.scalar(
            select(SlaClock).where(SlaClock.engagement_id == engagement_id, SlaClock.kind == "kickoff_held")
        )
        assert clock is not None
        return clock


async def test_breach_emitted_once(app: FastAPI, make_engagement: Any, outbox: Any) -> None:
    engagement = await make_engagement(approved_at=days_ago(8))
    now = datetime.now(UTC)
    async with sessionmaker_of(app)() as session:
        first = await detect_breaches(session, now)
        second = await detect_breaches(session, now + timedelta(hours=1))
        await session.commit()
    assert [b.engagement_id for b in first if b.engagement_id == engagement.id] == [engagement.id]
    assert [b for b in second if b.engagement_id == engagement.id] == []
    assert await outbox("SlaBreached", engagement_id=str(engagement.id), sla="kickoff_held") == 1
    assert (await clock_of(app, engagement.id)).breached_at == now


async def test_not_yet_due_is_left_alone(app: FastAPI, make_engagement: Any, outbox: Any) -> None:
    engagement = await make_engagement(approved_at=days_ago(6))
    async with sessionmaker_of(app)() as session:
        breaches = await detect_breaches(session, datetime.now(UTC))
        await session.commit()
    assert engagement.id not in {b.engagement_id for b in breaches}
    assert await outbox("SlaBreached", engagement_id=str(engagement.id)) == 0


async def test_kickoff_booked_but_not_held_breaches(
    app: FastAPI,
    client: httpx.AsyncClient,
    keys: TestKeys,
    make_engagement: Any,
    monday: datetime,
    outbox: Any,
) -> None:
    # Booking the kickoff used to meet the clock; now only a kickoff recorded attended does.
    engagement = await make_engagement()
    resp = await client.post(
        f"/api/v1/scheduling/engagements/{engagement.id}/sessions",
        json={"starts_at": monday.isoformat(), "kind": "kickoff"},
        headers=keys.headers("scheduling:write"),
    )
    assert resp.status_code == 201
    async with sessionmaker_of(app)() as session:
        breaches = await detect_breaches(session, datetime.now(UTC) + timedelta(days=30))
        await session.commit()
    assert [b.kind for b in breaches if b.engagement_id == engagement.id] == ["kickoff_held"]
    assert (await clock_of(app, engagement.id)).met_at is None
    assert await outbox("EscalationOpened", engagement_id=str(engagement.id), sla="kickoff_held") == 1


async def test_background_scan_breaches_overdue(app: FastAPI, payload: Any) -> None:
    engagement = await committed_engagement(app, payload(approved_at=days_ago(10)))
    maker = app.state.database.sessionmaker
    scanner = asyncio.create_task(tasks.scan_forever(maker, 0.05))
    try:

        async def breached() -> bool:
            async with maker() as session:
                clock = await session.scalar(
                    select(SlaClock).where(
                        SlaClock.engagement_id == engagement.id, SlaClock.kind == "kickoff_held"
                    )
                )
                return clock is not None and clock.breached_at is not None

        assert await eventually(breached) is True
    finally:
        scanner.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await scanner
    async with maker() as session:
        emitted = await session.scalar(
            select(func.count()).where(
                outbox_messages.c.subject == "tandem.scheduling.SlaBreached",
                outbox_messages.c.payload["data"]["engagement_id"].astext == str(engagement.id),
            )
        )
    assert emitted == 1


async def test_concurrent_scans_breach_once(app: FastAPI, payload: Any) -> None:
    engagement = await committed_engagement(app, payload(approved_at=days_ago(9)))

    async def scan() -> list[uuid.UUID]:
        async with app.state.database.sessionmaker() as session, session.begin():
            return [b.engagement_id for b in await detect_breaches(session, datetime.now(UTC))]

    results = await asyncio.gather(*(scan() for _ in range(4)))
    assert sum(r.count(engagement.id) for r in results) == 1
