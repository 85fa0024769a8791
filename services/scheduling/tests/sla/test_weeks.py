"""A coaching engagement over simulated weeks: the scan takes `now`, attendance is recorded at the
time the session was held, everything else goes through the real HTTP API and GraphQL."""

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from tandem_kit.auth import Principal
from tandem_kit.testing import TestKeys, sessionmaker_of
from tandem_scheduling.app import attendance_policy as ledger_policy
from tandem_scheduling.attendance import service as attendance
from tandem_scheduling.attendance.schemas import AttendanceMarkCreate
from tandem_scheduling.engagement.schemas import MatchEnded
from tandem_scheduling.lifecycle import ending
from tandem_scheduling.models import Checkpoint, Engagement, Escalation, Session, SlaClock
from tandem_scheduling.session import service as session_service
from tandem_scheduling.session.schemas import SessionCancel
from tandem_scheduling.settings import Settings
from tandem_scheduling.sla.service import detect_breaches

PM = {"person_id": str(uuid4()), "roles": ["program_manager"]}


def manager(person_id: UUID) -> Principal:
    return Principal(
        subject=str(person_id),
        client_id="front-end",
        scopes=frozenset({"scheduling:read", "scheduling:write"}),
        token_id="t",
        claims={"person_id": str(person_id), "roles": ["program_manager"]},
    )


async def book(
    client: httpx.AsyncClient, keys: TestKeys, engagement: Engagement, at: datetime, kind: str
) -> UUID:
    resp = await client.post(
        f"/api/v1/scheduling/engagements/{engagement.id}/sessions",
        json={"starts_at": at.isoformat(), "kind": kind},
        headers=keys.headers("scheduling:write"),
    )
    assert resp.status_code == 201, resp.text
    return UUID(resp.json()["id"])


async def attended(app: FastAPI, session_id: UUID, *, now: datetime) -> None:
    """A program manager records the session held (the attendance ledger calls the SLA hook)."""
    async with sessionmaker_of(app)() as session:
        await attendance.record(
            session,
            manager(uuid4()),
            session_id,
            AttendanceMarkCreate(outcome="attended"),
            policy=attendance.AttendancePolicy(),
            now=now,
        )
        await session.commit()


async def scan(app: FastAPI, now: datetime, engagement: Engagement) -> list[tuple[str, bool | None]]:
    """The scan at `now`; this engagement's breaches (other tests' committed ones may breach too)."""
    async with sessionmaker_of(app)() as session:
        breaches = await detect_breaches(session, now)
        await session.commit()
    return [(b.kind, b.rebreach) for b in breaches if b.engagement_id == engagement.id]


async def clocks(app: FastAPI, engagement_id: UUID) -> list[tuple[str, int, bool, bool]]:
    async with sessionmaker_of(app)() as session:
        rows = await session.scalars(
            select(SlaClock)
            .where(SlaClock.engagement_id == engagement_id)
            .order_by(SlaClock.kind, SlaClock.seq)
        )
        return [(c.kind, c.seq, c.met_at is not None, c.breached_at is not None) for c in rows]


async def checkpoint_dues(app: FastAPI, engagement_id: UUID) -> list[datetime]:
    async with sessionmaker_of(app)() as session:
        rows = await session.scalars(
            select(Checkpoint.due_at)
            .where(Checkpoint.engagement_id == engagement_id)
            .order_by(Checkpoint.seq)
        )
        return list(rows)


async def test_coaching_engagement_over_weeks(
    app: FastAPI,
    client: httpx.AsyncClient,
    keys: TestKeys,
    make_engagement: Any,
    monday: datetime,
    outbox: Any,
) -> None:
    # Approved on the Friday before the kickoff Monday (New York participant, coaching sprint: a
    # review every 6 weeks over 3 months, so two checkpoints).
    approved = monday - timedelta(days=3)
    engagement = await make_engagement(approved_at=approved.isoformat())
    first, second = await checkpoint_dues(app, engagement.id)
    assert first == datetime(approved.year, approved.month, approved.day, 5, 0, tzinfo=UTC) + timedelta(
        weeks=6, days=1
    )
    # Six weeks later on the participant's calendar: New York moved to daylight time in between.
    assert second - first == timedelta(weeks=6) - timedelta(hours=1)

    kickoff = await book(client, keys, engagement, monday, "kickoff")
    regular = await book(client, keys, engagement, monday + timedelta(days=7), "regular")
    await book(client, keys, engagement, monday + timedelta(days=14), "regular")
    await attended(app, kickoff, now=monday + timedelta(hours=1))
    await attended(app, regular, now=monday + timedelta(days=7, hours=1))
    assert await outbox("SlaMet", engagement_id=str(engagement.id), sla="kickoff_held", layer="coaching") == 1
    # Each held session promised the next booked within 21 days; both were already booked.
    assert await clocks(app, engagement.id) == [
        ("checkpoint_held", 1, False, False),
        ("checkpoint_held", 2, False, False),
        ("kickoff_held", 0, True, False),
        ("next_session_booked", 1, True, False),
        ("next_session_booked", 2, True, False),
    ]

    # A week before the first review it is announced; nobody holds it.
    assert await scan(app, first - timedelta(days=3), engagement) == []
    assert await outbox("CheckpointDue", engagement_id=str(engagement.id), kind="coaching_review") == 1
    assert await scan(app, first + timedelta(hours=1), engagement) == [("checkpoint_held", False)]

    pm = keys.headers("scheduling:read", "scheduling:write", sub=PM["person_id"], **PM)
    queue = await client.get(
        "/api/v1/scheduling/escalations",
        params={"program_id": str(engagement.program_id), "status": "open"},
        headers=pm,
    )
    assert queue.status_code == 200
    [opened] = queue.json()["items"]
    assert (opened["sla"], opened["layer"], opened["rebreach"], opened["assignee_id"]) == (
        "checkpoint_held",
        "coaching",
        False,
        None,
    )
    owner = uuid4()
    assigned = await client.post(
        f"/api/v1/scheduling/escalations/{opened['id']}/assign", json={"assignee_id": str(owner)}, headers=pm
    )
    assert assigned.json()["assignee_id"] == str(owner)
    mine = keys.headers("scheduling:read", "scheduling:write", sub=str(owner), person_id=str(owner))
    acknowledged = await client.post(
        f"/api/v1/scheduling/escalations/{opened['id']}/acknowledge", headers=mine
    )
    assert acknowledged.json()["status"] == "acknowledged"
    no_note = await client.post(
        f"/api/v1/scheduling/escalations/{opened['id']}/resolve", json={}, headers=mine
    )
    assert no_note.status_code == 422
    assert no_note.json()["errors"][0]["pointer"] == "#/note"
    resolved = await client.post(
        f"/api/v1/scheduling/escalations/{opened['id']}/resolve",
        json={"note": "Review moved to next week with the coach."},
        headers=mine,
    )
    assert (resolved.json()["status"], resolved.json()["resolved_by"]) == ("resolved", str(owner))
    assert await outbox("EscalationResolved", escalation_id=opened["id"], sla="checkpoint_held") == 1
    again = await client.post(
        f"/api/v1/scheduling/escalations/{opened['id']}/resolve", json={"note": "twice"}, headers=mine
    )
    assert again.status_code == 409

    # The second review is missed too: a re-breach of the same SLA.
    assert await scan(app, second + timedelta(hours=1), engagement) == [("checkpoint_held", True)]
    assert (
        await outbox(
            "EscalationOpened", engagement_id=str(engagement.id), sla="checkpoint_held", rebreach="true"
        )
        == 1
    )
    page = await client.post(
        "/graphql",
        json={
            "query": "query ($p: ID) { escalations(programId: $p, limit: 1) { total limit items { sla rebreach status } } }",
            "variables": {"p": str(engagement.program_id)},
        },
        headers=pm,
    )
    assert page.json()["data"]["escalations"] == {
        "total": 2,
        "limit": 1,
        "items": [{"sla": "checkpoint_held", "rebreach": False, "status": "resolved"}],
    }


async def test_ended_engagement_breaches_without_escalation(
    app: FastAPI, client: httpx.AsyncClient, make_engagement: Any, outbox: Any
) -> None:
    approved = datetime.now(UTC) - timedelta(days=10)
    engagement = await make_engagement(approved_at=approved.isoformat())
    async with sessionmaker_of(app)() as session:
        # Ended after its kickoff was overdue: the overdue clock stays (and breaches), no escalation opens.
        await ending.end_match(
            session,
            MatchEnded(
                match_id=engagement.match_id, reason="completed", ended_at=approved + timedelta(days=9)
            ),
        )
        await session.commit()
    assert await scan(app, datetime.now(UTC), engagement) == [("kickoff_held", None)]
    async with sessionmaker_of(app)() as session:
        opened = await session.scalar(select(func.count()).where(Escalation.engagement_id == engagement.id))
    assert opened == 0
    assert await outbox("SlaBreached", engagement_id=str(engagement.id), sla="kickoff_held") == 1
    assert await outbox("EscalationOpened", engagement_id=str(engagement.id)) == 0


async def weekly_sessions(app: FastAPI, engagement_id: UUID, now: datetime, *, count: int) -> list[Session]:
    """`count` booked one-hour sessions a week apart, the last one a week ago."""
    rows = [
        Session(
            engagement_id=engagement_id,
            kind="regular",
            status="booked",
            starts_at=now - timedelta(days=7 * (count - i)),
            ends_at=now - timedelta(days=7 * (count - i)) + timedelta(minutes=60),
            booked_by="test",
        )
        for i in range(count)
    ]
    async with sessionmaker_of(app)() as session:
        session.add_all(rows)
        await session.commit()
    return rows


async def test_attendance_under_the_floor_escalates_once_per_episode(
    app: FastAPI, client: httpx.AsyncClient, make_engagement: Any, outbox: Any
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    engagement = await make_engagement(approved_at=(now - timedelta(days=30)).isoformat())
    rows = await weekly_sessions(app, engagement.id, now, count=3)
    for row, outcome in zip(rows, ("attended", "no_show_participant", "no_show_participant"), strict=True):
        async with sessionmaker_of(app)() as session:
            await attendance.record(
                session,
                manager(uuid4()),
                row.id,
                AttendanceMarkCreate(outcome=outcome),
                policy=attendance.AttendancePolicy(),
                now=now,
            )
            await session.commit()
    # 1 of 3 attended, under 0.8: one clock due at once, breached and escalated by the next scan.
    assert [c for c in await clocks(app, engagement.id) if c[0] == "attendance_floor"] == [
        ("attendance_floor", 1, False, False)
    ]
    assert ("attendance_floor", False) in await scan(app, now + timedelta(minutes=1), engagement)
    assert await outbox("EscalationOpened", engagement_id=str(engagement.id), sla="attendance_floor") == 1


async def test_the_attendance_minimum_setting_drives_the_sla_clock(
    app: FastAPI, client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, monkeypatch: Any
) -> None:
    # SCHEDULING_ATTENDANCE_MIN_OUTCOMES=2: two outcomes, one attended (0.5 < 0.8), flag the engagement
    # in the ledger and open the SLA's attendance clock alike (it used to wait for a third).
    settings = Settings(environment="test", attendance_min_outcomes=2)
    monkeypatch.setattr(app.state, "attendance_policy", ledger_policy(settings))
    now = datetime.now(UTC).replace(microsecond=0)
    engagement = await make_engagement(approved_at=(now - timedelta(days=30)).isoformat())
    rows = await weekly_sessions(app, engagement.id, now, count=2)
    provider = keys.headers(
        "scheduling:read", "scheduling:write", person_id=str(engagement.provider_person_id), roles=["coach"]
    )
    for row, outcome in zip(rows, ("attended", "no_show_participant"), strict=True):
        resp = await client.put(
            f"/api/v1/scheduling/sessions/{row.id}/attendance", json={"outcome": outcome}, headers=provider
        )
        assert resp.status_code == 200, resp.text
    standing = await client.get(
        f"/api/v1/scheduling/engagements/{engagement.id}/attendance", headers=provider
    )
    assert (standing.json()["min_outcomes"], standing.json()["flagged"]) == (2, True)
    assert [c for c in await clocks(app, engagement.id) if c[0] == "attendance_floor"] == [
        ("attendance_floor", 1, False, False)
    ]


async def next_session_clock(app: FastAPI, engagement_id: UUID) -> SlaClock:
    async with sessionmaker_of(app)() as session:
        clock = await session.scalar(
            select(SlaClock).where(
                SlaClock.engagement_id == engagement_id, SlaClock.kind == "next_session_booked"
            )
        )
        assert clock is not None
        return clock


async def held_session(app: FastAPI, engagement: Engagement, *, ended_days_ago: int) -> None:
    """A regular session that ended `ended_days_ago`, recorded attended: the next-session clock opens."""
    ends_at = datetime.now(UTC).replace(microsecond=0) - timedelta(days=ended_days_ago)
    row = Session(
        engagement_id=engagement.id,
        kind="regular",
        status="booked",
        starts_at=ends_at - timedelta(minutes=60),
        ends_at=ends_at,
        booked_by="test",
    )
    async with sessionmaker_of(app)() as session:
        session.add(row)
        await session.commit()
    await attended(app, row.id, now=ends_at)


async def cancel(client: httpx.AsyncClient, keys: TestKeys, engagement: Engagement, session_id: UUID) -> None:
    resp = await client.post(
        f"/api/v1/scheduling/engagements/{engagement.id}/sessions/{session_id}/cancel",
        json={"reason": "Travelling."},
        headers=keys.headers("scheduling:write"),
    )
    assert resp.status_code == 200, resp.text


async def test_cancelling_the_next_session_reopens_its_clock_and_rebooking_meets_it(
    app: FastAPI,
    client: httpx.AsyncClient,
    keys: TestKeys,
    make_engagement: Any,
    monday: datetime,
    outbox: Any,
) -> None:
    engagement = await make_engagement(approved_at=(datetime.now(UTC) - timedelta(days=30)).isoformat())
    await held_session(app, engagement, ended_days_ago=1)
    due = (await next_session_clock(app, engagement.id)).due_at
    booked = await book(client, keys, engagement, monday, "regular")
    assert (await next_session_clock(app, engagement.id)).met_at is not None
    await cancel(client, keys, engagement, booked)
    reopened = await next_session_clock(app, engagement.id)
    assert (reopened.met_at, reopened.breached_at, reopened.due_at) == (None, None, due)
    await book(client, keys, engagement, monday + timedelta(days=1), "regular")
    assert (await next_session_clock(app, engagement.id)).met_at is not None
    assert await outbox("SlaMet", engagement_id=str(engagement.id), sla="next_session_booked") == 2


async def test_a_next_session_cancelled_past_the_due_time_breaches(
    app: FastAPI, client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, monday: datetime
) -> None:
    engagement = await make_engagement(approved_at=(datetime.now(UTC) - timedelta(days=30)).isoformat())
    await held_session(app, engagement, ended_days_ago=20)  # the next one is due within a day
    due = (await next_session_clock(app, engagement.id)).due_at
    booked = await book(client, keys, engagement, monday, "regular")
    later = due + timedelta(days=2)
    async with sessionmaker_of(app)() as session:
        await session_service.cancel_session(
            session, manager(uuid4()), engagement.id, booked, SessionCancel(reason="Moved."), now=later
        )
        await session.commit()
    assert (await next_session_clock(app, engagement.id)).met_at is None
    assert ("next_session_booked", False) in await scan(app, later, engagement)
    clock = await next_session_clock(app, engagement.id)
    assert (clock.due_at, clock.breached_at) == (due, later)


async def test_cancelling_one_of_two_booked_sessions_keeps_the_clock_met(
    app: FastAPI, client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, monday: datetime
) -> None:
    engagement = await make_engagement(approved_at=(datetime.now(UTC) - timedelta(days=30)).isoformat())
    await held_session(app, engagement, ended_days_ago=1)
    first = await book(client, keys, engagement, monday, "regular")
    await book(client, keys, engagement, monday + timedelta(days=7), "regular")
    await cancel(client, keys, engagement, first)
    assert (await next_session_clock(app, engagement.id)).met_at is not None


async def test_a_session_that_took_place_since_keeps_the_clock_met(
    app: FastAPI, client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, monday: datetime
) -> None:
    # The promise counts from the held session's end: a session that has taken place since (not
    # marked yet) kept it, whatever happens to a later booking.
    engagement = await make_engagement(approved_at=(datetime.now(UTC) - timedelta(days=30)).isoformat())
    await held_session(app, engagement, ended_days_ago=10)
    ahead = await book(client, keys, engagement, monday, "regular")
    since = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)
    async with sessionmaker_of(app)() as session:
        session.add(
            Session(
                engagement_id=engagement.id,
                kind="regular",
                status="booked",
                starts_at=since,
                ends_at=since + timedelta(minutes=60),
                booked_by="test",
            )
        )
        await session.commit()
    await cancel(client, keys, engagement, ahead)
    assert (await next_session_clock(app, engagement.id)).met_at is not None
