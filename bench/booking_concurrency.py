"""Concurrent bookings through the gateway: one slot fought over, then throughput on distinct engagements.

Run: .venv/bin/python bench/booking_concurrency.py [--bookings 2000] [--clients 50] [--profile]

On the local stack (five processes over one embedded PostgreSQL, `_infra.devstack`):
1. 200 parallel `POST .../sessions` for the same kickoff slot of one engagement: exactly one 201, every
   other answer a 409 (the exclusion constraint and the one-kickoff index decide, not the application).
2. `--bookings` kickoffs on distinct engagements (100 of them warm-up, not timed; people without
   calendars: `unverified` from scheduling's `calendar_links`, no free/busy call) from `--clients`
   concurrent HTTP clients, each its own keep-alive connection: bookings/s, p50/p99 latency. Baseline: a plain INSERT of the same rows (the session and
   its two holds, one transaction per booking) from as many concurrent connections straight to the
   database: ``ratio`` = bookings/s / inserts/s.

`--profile` instead books in process (the scheduling app over ASGI, the gateway's free/busy not
running: every party `unknown`, `accept_unverified` sent) under cProfile and prints where the time goes.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import logging
import pstats
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _infra import access_token, bench_line, devstack, infra, percentile

from tandem_scheduling.engagement import service as engagement_service
from tandem_scheduling.engagement.schemas import MatchApproved

ALL_DAY = [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)]
RACERS = 200


def approved(**overrides: Any) -> MatchApproved:
    data: dict[str, Any] = {
        "match_id": str(uuid.uuid4()),
        "proposal_id": str(uuid.uuid4()),
        "program_id": str(uuid.uuid4()),
        "participant_id": str(uuid.uuid4()),
        "provider_id": str(uuid.uuid4()),
        "provider_person_id": str(uuid.uuid4()),
        "provider_kind": "coach",
        "track": "coach",
        "score": 80.0,
        "approved_at": datetime.now(UTC).isoformat(),
        "approved_by": "bench",
        "participant_timezone": "America/New_York",
        "participant_working_hours": ALL_DAY,
        "provider_timezone": "Europe/Berlin",
        "provider_working_hours": ALL_DAY,
        **overrides,
    }
    return MatchApproved.model_validate(data)


async def seed_engagements(engine: AsyncEngine, count: int) -> list[tuple[uuid.UUID, uuid.UUID, uuid.UUID]]:
    """(engagement id, participant, provider person) of `count` new engagements."""
    maker = async_sessionmaker(engine, expire_on_commit=False)
    made: list[tuple[uuid.UUID, uuid.UUID, uuid.UUID]] = []
    for start in range(0, count, 250):
        async with maker() as session, session.begin():
            for _ in range(min(250, count - start)):
                e = await engagement_service.create_from_match(session, approved())
                made.append((e.id, e.participant_id, e.provider_person_id))
    return made


def slot() -> datetime:
    """Two days ahead, on the hour: inside every engagement's kickoff week."""
    return (datetime.now(UTC) + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)


async def race(base_url: str, headers: dict[str, str], engagement: uuid.UUID, at: datetime) -> Counter[int]:
    limits = httpx.Limits(max_connections=RACERS)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60.0) as http:
        body = {"starts_at": at.isoformat(), "kind": "kickoff"}
        url = f"/api/v1/scheduling/engagements/{engagement}/sessions"
        answers = await asyncio.gather(*(http.post(url, json=body, headers=headers) for _ in range(RACERS)))
    for resp in answers:
        if resp.status_code not in (201, 409):
            raise SystemExit(f"race: HTTP {resp.status_code}: {resp.text[:300]}")
    return Counter(r.status_code for r in answers)


async def book_all(
    base_url: str,
    headers: dict[str, str],
    engagements: list[uuid.UUID],
    at: datetime,
    clients: int,
    extra: dict[str, Any] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> tuple[float, list[float]]:
    """(seconds for all, per-booking latencies in ms) with `clients` concurrent clients."""
    queue: asyncio.Queue[uuid.UUID] = asyncio.Queue()
    for e in engagements:
        queue.put_nowait(e)
    latencies: list[float] = []
    body = {"starts_at": at.isoformat(), "kind": "kickoff", **(extra or {})}

    async def client() -> None:
        async with httpx.AsyncClient(base_url=base_url, timeout=60.0, transport=transport) as http:
            while not queue.empty():
                engagement = queue.get_nowait()
                started = time.perf_counter()
                resp = await http.post(
                    f"/api/v1/scheduling/engagements/{engagement}/sessions", json=body, headers=headers
                )
                latencies.append((time.perf_counter() - started) * 1000)
                if resp.status_code != 201:
                    raise SystemExit(f"booking: HTTP {resp.status_code}: {resp.text[:300]}")

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return time.perf_counter() - started, latencies


INSERT_SESSION = text(
    "INSERT INTO sessions (id, engagement_id, kind, status, starts_at, ends_at, booked_by) "
    "VALUES (:id, :engagement, 'regular', 'booked', :start, :end, 'bench')"
)
INSERT_HOLD = text(
    "INSERT INTO session_attendees (session_id, person_id, during, cancelled) "
    "VALUES (:id, :person, tstzrange(:start, :end), false)"
)


async def plain_inserts(
    engine: AsyncEngine, rows: list[tuple[uuid.UUID, uuid.UUID, uuid.UUID]], at: datetime, clients: int
) -> float:
    """Seconds to insert a session and its two holds per row, one transaction each, `clients` at once."""
    queue: asyncio.Queue[tuple[uuid.UUID, uuid.UUID, uuid.UUID]] = asyncio.Queue()
    for row in rows:
        queue.put_nowait(row)

    async def worker() -> None:
        async with engine.connect() as conn:
            while not queue.empty():
                engagement, participant, provider = queue.get_nowait()
                params = {
                    "id": uuid.uuid4(),
                    "engagement": engagement,
                    "start": at,
                    "end": at + timedelta(hours=1),
                }
                async with conn.begin():
                    await conn.execute(INSERT_SESSION, params)
                    await conn.execute(
                        INSERT_HOLD, [{**params, "person": participant}, {**params, "person": provider}]
                    )

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    return time.perf_counter() - started


async def measure(
    gateway_url: str, database_url: str, client: dict[str, str], bookings: int, clients: int
) -> None:
    engine = create_async_engine(database_url, pool_size=clients, max_overflow=RACERS)
    try:
        engagements = await seed_engagements(engine, bookings + 1)
        async with httpx.AsyncClient(timeout=10.0) as http:
            headers = {"Authorization": f"Bearer {await access_token(http, gateway_url, client)}"}
        at = slot()
        fought = await race(gateway_url, headers, engagements[-1][0], at)
        print(f"race: {RACERS} parallel requests for one slot -> {dict(sorted(fought.items()))}")
        if fought[201] != 1:
            raise SystemExit("race: not exactly one booking")
        rows = engagements[:bookings]
        await book_all(gateway_url, headers, [e for e, _, _ in rows[:100]], at, clients)  # warm-up
        seconds, latencies = await book_all(gateway_url, headers, [e for e, _, _ in rows[100:]], at, clients)
        rate = (len(rows) - 100) / seconds
        insert_seconds = await plain_inserts(engine, rows, at + timedelta(hours=2), clients)
        insert_rate = len(rows) / insert_seconds
        print(bench_line("booking_throughput", rate, "bookings/s", "plain_insert", insert_rate))
        print(bench_line("booking_p50", percentile(latencies, 50), "ms", "none", 0.0).split(" baseline")[0])
        print(bench_line("booking_p99", percentile(latencies, 99), "ms", "none", 0.0).split(" baseline")[0])
    finally:
        await engine.dispose()


async def profile(bookings: int, clients: int) -> None:
    """Book in process under cProfile: the scheduling app over ASGI, its own database and broker."""
    from tandem_kit.embedded import free_port
    from tandem_kit.oauth_client import ServiceClient, StaticToken
    from tandem_kit.testing import TestKeys, running
    from tandem_scheduling.app import create_app
    from tandem_scheduling.settings import Settings

    logging.getLogger("httpx").setLevel(logging.WARNING)
    with infra("scheduling") as (database_url, nats_url):
        keys = TestKeys()
        settings = Settings(
            environment="test", database_url=database_url, nats_url=nats_url, sla_scan_seconds=0
        )
        down = ServiceClient(f"http://127.0.0.1:{free_port()}", StaticToken(lambda: "none"))
        app = create_app(settings, token_verifier=keys.verifier("scheduling"), gateway=down)
        async with running(app):
            engine = create_async_engine(database_url)
            rows = await seed_engagements(engine, bookings)
            await engine.dispose()
            headers = keys.headers("scheduling:write")
            transport = httpx.ASGITransport(app=app)
            ids, at, extra = [e for e, _, _ in rows], slot(), {"accept_unverified": True}
            await book_all("http://scheduling.test", headers, ids[:100], at, clients, extra, transport)
            profiler = cProfile.Profile()
            profiler.enable()
            seconds, latencies = await book_all(
                "http://scheduling.test", headers, ids[100:], at, clients, extra, transport
            )
            profiler.disable()
        print(
            f"in process: {(len(ids) - 100) / seconds:.1f} bookings/s, p50 {percentile(latencies, 50):.1f} ms"
        )
        stats = pstats.Stats(profiler).sort_stats("cumulative")
        stats.print_stats(r"tandem_|sqlalchemy/ext/asyncio|asyncpg|fastapi/routing|pydantic", 40)
        stats.sort_stats("tottime").print_stats(25)
        await down.aclose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bookings", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    if args.profile:
        asyncio.run(profile(args.bookings, args.clients))
        return
    with devstack() as (config, client):
        database_url = (
            f"postgresql+asyncpg://postgres@127.0.0.1:{config.postgres_port}/scheduling?ssl=disable"
        )
        asyncio.run(measure(config.url("gateway"), database_url, client, args.bookings, args.clients))


if __name__ == "__main__":
    main()
