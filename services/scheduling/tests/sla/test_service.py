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


async def emitted_per_engagement(app: FastAPI, event_type: str, ids: list[uuid.UUID]) -> dict[str, int]:
    """Committed outbox rows of `event_type` per engagement (each has one kickoff clock)."""
    engagement = outbox_messages.c.payload["data"]["engagement_id"].astext
    async with app.state.database.sessionmaker() as session:
        rows = await session.execute(
            select(engagement, func.count())
            .where(
                outbox_messages.c.subject == f"tandem.scheduling.{event_type}",
                engagement.in_([str(i) for i in ids]),
            )
            .group_by(engagement)
        )
        return {str(k): int(v) for k, v in rows.all()}


async def test_two_scanners_share_a_backlog_one_breach_per_clock(app: FastAPI, payload: Any) -> None:
    # 25 overdue kickoffs, passes of at most 10: two scanners (two replicas) each commit pass after
    # pass, skipping what the other holds; every clock is breached once, in one of them.
    engagements = [await committed_engagement(app, payload(approved_at=days_ago(9))) for _ in range(25)]
    ids = [e.id for e in engagements]
    maker = app.state.database.sessionmaker
    now = datetime.now(UTC)
    first, second = await asyncio.gather(
        tasks.scan_once(maker, batch=10, now=now), tasks.scan_once(maker, batch=10, now=now)
    )
    passes = first + second
    assert max(len(p) for p in passes) <= 10
    assert len(passes) >= 4  # 25 clocks need three full passes and a last one, between the two
    found = [b.engagement_id for p in passes for b in p if b.engagement_id in ids]
    assert sorted(found) == sorted(ids)
    assert await emitted_per_engagement(app, "SlaBreached", ids) == {str(i): 1 for i in ids}
    assert await emitted_per_engagement(app, "EscalationOpened", ids) == {str(i): 1 for i in ids}
    async with maker() as session:
        left = await session.scalar(
            select(func.count()).where(
                SlaClock.engagement_id.in_(ids),
                SlaClock.kind == "kickoff_held",
                SlaClock.breached_at.is_(None),
            )
        )
    assert left == 0


async def test_a_clock_held_by_another_transaction_is_skipped_not_waited_for(
    app: FastAPI, payload: Any
) -> None:
    engagement = await committed_engagement(app, payload(approved_at=days_ago(9)))
    maker = app.state.database.sessionmaker
    async with maker() as holder, holder.begin():
        # A booking or a mark touching the clock right now holds its row.
        await holder.execute(
            select(SlaClock.id).where(SlaClock.engagement_id == engagement.id).with_for_update()
        )
        passes = await asyncio.wait_for(tasks.scan_once(maker, batch=10), timeout=30)
        assert engagement.id not in {b.engagement_id for p in passes for b in p}
    passes = await tasks.scan_once(maker, batch=10)
    assert [b.kind for p in passes for b in p if b.engagement_id == engagement.id] == ["kickoff_held"]
    assert await emitted_per_engagement(app, "SlaBreached", [engagement.id]) == {str(engagement.id): 1}
