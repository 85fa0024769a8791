"""Seat booking under concurrency: 500 simultaneous requests across 50 group sessions, no overbooking.

Run: .venv/bin/python bench/group_seats.py [--sessions 50] [--requests 500] [--seats 8] [--pool 10]

The scheduling app in process (ASGI, its own embedded PostgreSQL and NATS, real token verification),
`--requests` `POST /group-sessions/{id}/seats` fired at once, spread evenly over `--sessions` group
sessions of `--seats` seats each (8 by default: 400 seats and 100 waitlist places). Each request locks
its group session's row, numbers the seat, inserts the seat and its hold (the exclusion constraint
checks the person's time) and the outbox event. Afterwards every group session is checked: booked
seats = min(seats, requests), seat numbers 1..n without a repeat, waitlist positions 1..m (the run
fails otherwise). A first round on other group sessions warms the app up and is not timed.

The app keeps the kit's pool (`--pool` 10 + as many overflow: 20 connections); the bench only lifts
the kit's 10 s pool checkout timeout to 120 s. With 500 requests queued at once on this shared
2-core machine (load 10-12 from the other helpers' tests) the app serves 15-20 requests/s, so the
last ones wait longer than 10 s for a connection and the kit answers them 503 `database-unavailable`
with `Retry-After`, which is the right answer in production but not a measurement of seat booking.

Baseline: a plain INSERT of the same rows (the seat and its hold, one transaction each, no lock, no
event) from as many concurrent connections as the app's pool holds.
``ratio`` = seats/s through the API / plain inserts/s.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import time
import uuid
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import httpx
from _infra import bench_line, infra, percentile
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from tandem_kit import db
from tandem_kit.auth import Principal
from tandem_kit.embedded import free_port
from tandem_kit.oauth_client import ServiceClient, StaticToken
from tandem_kit.testing import TestKeys, running
from tandem_scheduling.app import create_app
from tandem_scheduling.group import service
from tandem_scheduling.group.schemas import GroupSessionCreate
from tandem_scheduling.settings import Settings

MACHINE = Principal(subject="bench", client_id="bench", scopes=frozenset({"scheduling:write"}), token_id="b")


def start(offset_hours: int) -> datetime:
    return (datetime.now(UTC) + timedelta(days=7, hours=offset_hours)).replace(
        minute=0, second=0, microsecond=0
    )


async def seed(engine: AsyncEngine, count: int, seats: int, at: datetime) -> list[uuid.UUID]:
    maker = async_sessionmaker(engine, expire_on_commit=False)
    ids: list[uuid.UUID] = []
    async with maker() as session, session.begin():
        for i in range(count):
            data = GroupSessionCreate(
                program_id=uuid.uuid4(),
                kind="peer_cohort",
                title=f"Cohort {i}",
                starts_at=at,
                ends_at=at + timedelta(minutes=60),
                timezone="UTC",
                seat_limit=seats,
            )
            ids.append((await service.create(session, MACHINE, data)).id)
    return ids


async def fire(
    http: httpx.AsyncClient, keys: TestKeys, groups: list[uuid.UUID], requests: int
) -> tuple[float, list[float], list[httpx.Response]]:
    latencies: list[float] = []
    # Tokens are signed before the clock starts: callers bring theirs, signing is not the service's work.
    tokens = [
        keys.headers("scheduling:write", person_id=str(uuid.uuid4()), roles=["participant"])
        for _ in range(requests)
    ]

    async def one(i: int) -> httpx.Response:
        headers = tokens[i]
        began = time.perf_counter()
        resp = await http.post(
            f"/api/v1/scheduling/group-sessions/{groups[i % len(groups)]}/seats", json={}, headers=headers
        )
        latencies.append((time.perf_counter() - began) * 1000)
        return resp

    began = time.perf_counter()
    answers = await asyncio.gather(*(one(i) for i in range(requests)))
    return time.perf_counter() - began, latencies, list(answers)


CHECK = text(
    "SELECT group_session_id, count(*) FILTER (WHERE status = 'booked'),"
    " count(DISTINCT seat_no) FILTER (WHERE status = 'booked'), max(seat_no) FILTER (WHERE status = 'booked'),"
    " max(seat_limit) FROM group_seats WHERE group_session_id = ANY(:ids) GROUP BY group_session_id"
)


async def check(
    engine: AsyncEngine, groups: list[uuid.UUID], answers: list[httpx.Response], seats: int
) -> int:
    """Zero overbooking, seat numbers and waitlist positions without gaps; the number of seats booked."""
    bad = [a for a in answers if a.status_code != 201]
    if bad:
        raise SystemExit(f"seat: HTTP {bad[0].status_code}: {bad[0].text[:300]}")
    asked: Counter[str] = Counter(a.json()["group_session_id"] for a in answers)
    positions: dict[str, list[int]] = defaultdict(list)
    for a in answers:
        if a.json()["status"] == "waitlisted":
            positions[a.json()["group_session_id"]].append(a.json()["position"])
    async with engine.connect() as conn:
        rows = (await conn.execute(CHECK, {"ids": groups})).all()
    total = 0
    for group_id, booked, distinct, highest, limit in rows:
        expected = min(seats, asked[str(group_id)])
        assert booked == distinct == highest == expected <= limit, (
            group_id,
            booked,
            distinct,
            highest,
            limit,
        )
        assert sorted(positions[str(group_id)]) == list(range(1, asked[str(group_id)] - expected + 1))
        total += booked
    assert len(rows) == len(groups)
    return total


INSERT_SEAT = text(
    "INSERT INTO group_seats (id, group_session_id, seat_limit, seat_no, person_id, status, from_waitlist,"
    " booked_by, booked_at) VALUES (:id, :group, :limit, :no, :person, 'booked', false, 'bench', now())"
)
INSERT_HOLD = text(
    "INSERT INTO session_attendees (group_session_id, seat_id, person_id, during, cancelled)"
    " VALUES (:group, :id, :person, tstzrange(:start, :end), false)"
)


async def plain_inserts(
    engine: AsyncEngine, groups: list[uuid.UUID], seats: int, at: datetime, connections: int
) -> tuple[float, int]:
    queue: asyncio.Queue[dict[str, object]] = asyncio.Queue()
    for g in groups:
        for no in range(1, seats + 1):
            queue.put_nowait(
                {"group": g, "limit": seats, "no": no, "start": at, "end": at + timedelta(minutes=60)}
            )
    count = queue.qsize()

    async def worker() -> None:
        async with engine.connect() as conn:
            while not queue.empty():
                row = queue.get_nowait()
                params = {**row, "id": uuid.uuid4(), "person": uuid.uuid4()}
                async with conn.begin():
                    await conn.execute(INSERT_SEAT, params)
                    await conn.execute(INSERT_HOLD, params)

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    return time.perf_counter() - began, count


async def measure(sessions: int, requests: int, seats: int, pool: int) -> None:
    connections = 2 * pool
    db.CHECKOUT_TIMEOUT_SECONDS = 120
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.disable(logging.INFO)
    with infra("scheduling") as (database_url, nats_url):
        keys = TestKeys()
        settings = Settings(
            environment="test", database_url=database_url, nats_url=nats_url, sla_scan_seconds=0
        )
        down = ServiceClient(f"http://127.0.0.1:{free_port()}", StaticToken(lambda: "none"))
        app = create_app(settings, token_verifier=keys.verifier("scheduling"), gateway=down)
        engine = create_async_engine(database_url, pool_size=connections, max_overflow=0)
        try:
            async with running(app):
                warm = await seed(engine, sessions, seats, start(0))
                timed = await seed(engine, sessions, seats, start(2))
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(
                    base_url="http://scheduling.test", transport=transport, timeout=120
                ) as http:
                    await fire(http, keys, warm, requests)
                    seconds, latencies, answers = await fire(http, keys, timed, requests)
                booked = await check(engine, timed, answers, seats)
            baseline_groups = await seed(engine, sessions, seats, start(4))
            insert_seconds, inserted = await plain_inserts(
                engine, baseline_groups, seats, start(4), connections
            )
        finally:
            await engine.dispose()
            await down.aclose()
    print(
        f"{requests} concurrent requests over {sessions} group sessions of {seats} seats: {booked} seats, "
        f"{requests - booked} waitlisted, no overbooking; {seconds:.2f} s"
    )
    print(bench_line("group_seats", booked / seconds, "seats/s", "plain_insert", inserted / insert_seconds))
    print(
        bench_line("group_seat_requests", requests / seconds, "requests/s", "none", 0.0).split(" baseline")[0]
    )
    print(bench_line("group_seat_p50", percentile(latencies, 50), "ms", "none", 0.0).split(" baseline")[0])
    print(bench_line("group_seat_p99", percentile(latencies, 99), "ms", "none", 0.0).split(" baseline")[0])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--seats", type=int, default=8)
    parser.add_argument("--pool", type=int, default=10)
    args = parser.parse_args()
    asyncio.run(measure(args.sessions, args.requests, args.seats, args.pool))


if __name__ == "__main__":
    main()
