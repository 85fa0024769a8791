"""Seats under concurrency: requests that race for one group session never overbook it, the waitlist
keeps one order, and the database refuses an overbooking even from a writer that skips the service.
These tests commit (concurrent requests cannot share one rolled-back transaction); every row they
write hangs off fresh random ids."""

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from tandem_kit.auth import Principal
from tandem_kit.testing import TestKeys, asgi_client
from tandem_scheduling.group import service
from tandem_scheduling.group.schemas import GroupSessionCreate
from tandem_scheduling.models import GroupSeat, GroupWaitlistEntry

GROUPS = "/api/v1/scheduling/group-sessions"
WRITE = ("scheduling:read", "scheduling:write")
MACHINE = Principal(subject="ops", client_id="ops", scopes=frozenset(WRITE), token_id="test")


async def committed_group(app: FastAPI, *, seats: int, at: datetime) -> uuid.UUID:
    data = GroupSessionCreate(
        program_id=uuid.uuid4(),
        kind="office_hours",
        title="Office hours",
        host_person_id=uuid.uuid4(),
        starts_at=at,
        ends_at=at + timedelta(minutes=45),
        timezone="UTC",
        seat_limit=seats,
    )
    async with app.state.database.sessionmaker() as session:
        group = await service.create(session, MACHINE, data)
        await session.commit()
        return group.id


async def request_seat(
    client: httpx.AsyncClient, keys: TestKeys, group_id: uuid.UUID, who: uuid.UUID
) -> httpx.Response:
    headers = keys.headers(*WRITE, person_id=str(who), roles=["participant"])
    return await client.post(f"{GROUPS}/{group_id}/seats", json={}, headers=headers)


async def stored(app: FastAPI, group_id: uuid.UUID) -> tuple[list[tuple[uuid.UUID, int]], list[uuid.UUID]]:
    """(person, seat number) of the booked seats, and the waiting people in waitlist order."""
    async with app.state.database.sessionmaker() as session:
        seats = (
            await session.execute(
                select(GroupSeat.person_id, GroupSeat.seat_no)
                .where(GroupSeat.group_session_id == group_id, GroupSeat.status == "booked")
                .order_by(GroupSeat.seat_no)
            )
        ).all()
        waiting = await session.scalars(
            select(GroupWaitlistEntry.person_id)
            .where(GroupWaitlistEntry.group_session_id == group_id, GroupWaitlistEntry.status == "waiting")
            .order_by(GroupWaitlistEntry.position)
        )
        return [(p, n) for p, n in seats], list(waiting.all())


async def test_fifty_requests_for_ten_seats(app: FastAPI, keys: TestKeys, monday: datetime) -> None:
    group_id = await committed_group(app, seats=10, at=monday)
    people = [uuid.uuid4() for _ in range(50)]
    async with asgi_client(app) as client:
        answers = await asyncio.gather(*(request_seat(client, keys, group_id, p) for p in people))
        assert Counter(a.status_code for a in answers) == {201: 50}
        bodies = {uuid.UUID(a.json()["person_id"]): a.json() for a in answers}
        assert Counter(b["status"] for b in bodies.values()) == {"booked": 10, "waitlisted": 40}
        assert sorted(b["seat_no"] for b in bodies.values() if b["status"] == "booked") == list(range(1, 11))
        assert sorted(b["position"] for b in bodies.values() if b["status"] == "waitlisted") == list(
            range(1, 41)
        )

        seats, waiting = await stored(app, group_id)
        assert len(seats) == 10
        # The stored order is the order the requests were told.
        assert waiting == sorted(
            (p for p, b in bodies.items() if b["status"] == "waitlisted"), key=lambda p: bodies[p]["position"]
        )

        leaving, freed = seats[3]
        machine = keys.headers(*WRITE)
        released = await client.delete(f"{GROUPS}/{group_id}/seats/{leaving}", headers=machine)
        assert released.status_code == 200, released.text
        view = (await client.get(f"{GROUPS}/{group_id}", headers=machine)).json()
    promoted = next(s for s in view["seats"] if s["seat_no"] == freed)
    assert (promoted["person_id"], promoted["from_waitlist"]) == (str(waiting[0]), True)
    assert (view["seats_taken"], view["waitlist_length"]) == (10, 39)
    assert view["waitlist"][0] == {
        "person_id": str(waiting[1]),
        "position": 1,
        "waiting_since": view["waitlist"][0]["waiting_since"],
    }


async def test_capacity_holds_for_any_race(app: FastAPI, keys: TestKeys) -> None:
    """Property: whatever the seat limit and whoever races (the same person several times included),
    each person ends with exactly one seat or one waitlist place, seats never exceed the limit, and
    seat numbers and waitlist positions have no gap."""
    loop = asyncio.get_running_loop()
    start = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=30)

    async def race(limit: int, picks: list[int]) -> None:
        group_id = await committed_group(app, seats=limit, at=start)
        pool = [uuid.uuid4() for _ in range(max(picks) + 1)]
        async with asgi_client(app) as client:
            answers = await asyncio.gather(*(request_seat(client, keys, group_id, pool[i]) for i in picks))
        assert {a.status_code for a in answers} <= {200, 201}
        people = {pool[i] for i in picks}
        seats, waiting = await stored(app, group_id)
        assert len(seats) == min(limit, len(people))
        assert sorted(n for _, n in seats) == list(range(1, len(seats) + 1))
        assert sorted([p for p, _ in seats] + waiting) == sorted(people)
        # A repeated request answers what the first one got: one 201 per person.
        assert Counter(a.status_code for a in answers)[201] == len(people)

    @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
    @given(limit=st.integers(1, 4), picks=st.lists(st.integers(0, 5), min_size=1, max_size=8))
    def prop(limit: int, picks: list[int]) -> None:
        asyncio.run_coroutine_threadsafe(race(limit, picks), loop).result(timeout=60)

    # The property runs in a thread so that each example can use the app on this event loop.
    await asyncio.to_thread(prop)


SEAT_ROW = text(
    "INSERT INTO group_seats (id, group_session_id, seat_limit, seat_no, person_id, status, from_waitlist,"
    " booked_by, booked_at) VALUES (:id, :group, :limit, :no, :person, 'booked', false, 'test', now())"
)


@pytest.mark.parametrize(
    ("rows", "sqlstate"),
    [
        ([(1, 2), (2, 2), (3, 2)], "23514"),  # seat 3 of 2: the CHECK against the limit
        ([(1, 2), (1, 2)], "23505"),  # seat 1 twice: the unique booked seat number
        ([(3, 5)], "23503"),  # a seat claiming a larger limit: the composite foreign key
    ],
    ids=["past-the-limit", "same-number", "forged-limit"],
)
async def test_database_refuses_overbooking_by_itself(
    app: FastAPI, monday: datetime, rows: list[tuple[int, int]], sqlstate: str
) -> None:
    group_id = await committed_group(app, seats=2, at=monday)
    async with app.state.database.engine.connect() as conn:
        outer = await conn.begin()
        try:
            params: list[dict[str, Any]] = [
                {"id": uuid.uuid4(), "group": group_id, "no": no, "limit": limit, "person": uuid.uuid4()}
                for no, limit in rows
            ]
            for p in params[:-1]:
                await conn.execute(SEAT_ROW, p)
            with pytest.raises(IntegrityError) as caught:
                await conn.execute(SEAT_ROW, params[-1])
            assert getattr(caught.value.orig, "sqlstate", None) == sqlstate
        finally:
            await outer.rollback()


async def test_a_seat_and_a_session_share_one_exclusion_constraint(app: FastAPI, monday: datetime) -> None:
    """The hold of a seat and the hold of a one-to-one session collide in the database itself."""
    group_id = await committed_group(app, seats=2, at=monday)
    who = uuid.uuid4()
    async with app.state.database.engine.connect() as conn:
        outer = await conn.begin()
        try:
            seat_id = uuid.uuid4()
            await conn.execute(
                SEAT_ROW, {"id": seat_id, "group": group_id, "no": 1, "limit": 2, "person": who}
            )
            await conn.execute(
                text(
                    "INSERT INTO session_attendees (group_session_id, seat_id, person_id, during, cancelled) "
                    "VALUES (:group, :seat, :person, tstzrange(:start, :end), false)"
                ),
                {
                    "group": group_id,
                    "seat": seat_id,
                    "person": who,
                    "start": monday,
                    "end": monday + timedelta(minutes=45),
                },
            )
            engagement, session_id = uuid.uuid4(), uuid.uuid4()
            await conn.execute(
                text(
                    "INSERT INTO engagements (id, match_id, program_id, participant_id, provider_id,"
                    " provider_person_id, provider_kind, track, status, cadence, session_minutes, planned_months,"
                    " review_every_weeks, participant_timezone, participant_working_hours, provider_timezone,"
                    " provider_working_hours, approved_at) VALUES (:id, :id, :id, :person, :id, :id, 'coach',"
                    " 'coach', 'active', 'weekly', 60, 4, 6, 'UTC', '[]', 'UTC', '[]', now())"
                ),
                {"id": engagement, "person": who},
            )
            await conn.execute(
                text(
                    "INSERT INTO sessions (id, engagement_id, kind, status, starts_at, ends_at, booked_by)"
                    " VALUES (:id, :engagement, 'regular', 'booked', :start, :end, 'test')"
                ),
                {
                    "id": session_id,
                    "engagement": engagement,
                    "start": monday + timedelta(minutes=30),
                    "end": monday + timedelta(minutes=90),
                },
            )
            with pytest.raises(IntegrityError) as caught:
                await conn.execute(
                    text(
                        "INSERT INTO session_attendees (session_id, person_id, during, cancelled) "
                        "VALUES (:id, :person, tstzrange(:start, :end), false)"
                    ),
                    {
                        "id": session_id,
                        "person": who,
                        "start": monday + timedelta(minutes=30),
                        "end": monday + timedelta(minutes=90),
                    },
                )
            assert getattr(caught.value.orig, "sqlstate", None) == "23P01"
        finally:
            await outer.rollback()
