"""The SLA scan over 100,000 engagements with their clocks: set-based passes of at most N clocks.

Run: .venv/bin/python bench/sla_scan.py [--engagements 100000] [--rounds 5] [--batch 1000]

100,000 engagements (80 % coaching, 20 % mentoring; 5 % ended) with a kickoff clock and two checkpoint
clocks each (300,000 clocks) and their checkpoints, written with INSERT ... SELECT. Baseline, same
run, same rows: a bare `SELECT count(*)` over the clocks.

- `sla_scan`: a working day's scan, 1 % of the kickoffs overdue (1,000 breaches, about 950 escalations
  of active engagements; the ended ones' are breached without one) and 1 % of the checkpoints entering
  their window: one pass of `sla.service.detect_breaches` (at most `--batch` clocks: the checkpoint
  announcement, the breach statement that opens escalations, the outbox rows) in a transaction rolled
  back afterwards, so every round finds the same state;
- `sla_scan_idle`: nothing due (the scan that runs every minute most of the time), same;
- `sla_scan_all`: the worst case, every kickoff overdue at once (100,000 breaches and escalations),
  the scheduler's own `sla.tasks.scan_once`: passes of `--batch` clocks, each committed;
  `sla_scan_all_pass_max`: the longest of those passes (one transaction), timed in a second run of the
  same passes; `sla_scan_all_two`: two scanners (two replicas) sharing the backlog at once. The
  backlog is restored (breaches, escalations, outbox rows, announcements undone) before each run.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _infra import bench_line, infra

from tandem_scheduling.sla import tasks
from tandem_scheduling.sla.service import detect_breaches, scan_pass

NOW = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)

SEED = [
    """
    INSERT INTO engagements (id, match_id, program_id, participant_id, provider_id, provider_person_id,
        provider_kind, track, status, cadence, session_minutes, planned_months, review_every_weeks,
        participant_timezone, participant_working_hours, provider_timezone, provider_working_hours,
        approved_at, ended_at)
    SELECT gen_random_uuid(), gen_random_uuid(),
        ('00000000-0000-4000-8000-' || lpad((i % 10)::text, 12, '0'))::uuid,
        gen_random_uuid(), gen_random_uuid(), gen_random_uuid(),
        CASE WHEN i % 5 = 0 THEN 'mentor' ELSE 'coach' END,
        CASE WHEN i % 5 = 0 THEN 'mentor' ELSE 'coach' END,
        CASE WHEN i % 20 = 0 THEN 'ended' ELSE 'active' END,
        'weekly', 60, 3, 6, 'America/New_York', '[]', 'Europe/Berlin', '[]',
        CAST(:now AS timestamptz) - make_interval(days => 30 + i % 30),
        CASE WHEN i % 20 = 0 THEN CAST(:now AS timestamptz) - interval '1 day' END
    FROM generate_series(1, :n) AS i
    """,
    # Kickoffs: 99 % were held in time; 1 % (i % 100 = 0) are overdue and open.
    """
    INSERT INTO sla_clocks (id, engagement_id, kind, seq, due_at, met_at)
    SELECT gen_random_uuid(), e.id, 'kickoff_held', 0,
        CASE WHEN e.rn % 100 = 0 THEN CAST(:now AS timestamptz) - interval '1 hour' ELSE e.approved_at + interval '7 days' END,
        CASE WHEN e.rn % 100 = 0 THEN NULL ELSE e.approved_at + interval '5 days' END
    FROM (SELECT id, approved_at, row_number() OVER (ORDER BY id) AS rn FROM engagements) AS e
    """,
    # Two checkpoints each, ahead; those already in their window were announced by earlier scans,
    # except 1 % that enter it now.
    """
    INSERT INTO checkpoints (id, engagement_id, seq, kind, due_at, announced_at)
    SELECT gen_random_uuid(), e.id, s.seq,
        CASE WHEN e.provider_kind = 'mentor' THEN 'mentoring_milestone' ELSE 'coaching_review' END,
        CAST(:now AS timestamptz) + make_interval(days => (e.rn % 40)::int + 1 + 42 * (s.seq - 1)),
        CASE WHEN (e.rn % 40) + 1 + 42 * (s.seq - 1) <= 7 AND e.rn % 100 <> 1 THEN CAST(:now AS timestamptz) - interval '1 hour' END
    FROM (SELECT id, provider_kind, row_number() OVER (ORDER BY id) AS rn FROM engagements) AS e
    CROSS JOIN (VALUES (1), (2)) AS s (seq)
    """,
    """
    INSERT INTO sla_clocks (id, engagement_id, kind, seq, due_at, checkpoint_id)
    SELECT gen_random_uuid(), engagement_id, 'checkpoint_held', seq, due_at, id FROM checkpoints
    """,
    "ANALYZE",
]


async def seed(maker: async_sessionmaker[AsyncSession], n: int) -> None:
    async with maker() as session, session.begin():
        for statement in SEED:
            await session.execute(
                text(statement), {"now": NOW, "n": n} if ":now" in statement or ":n)" in statement else {}
            )


async def timed_scan(maker: async_sessionmaker[AsyncSession], now: datetime, batch: int) -> tuple[float, int]:
    async with maker() as session:
        await session.begin()
        started = time.perf_counter()
        breaches = await detect_breaches(session, now, limit=batch)
        await session.flush()
        elapsed = time.perf_counter() - started
        await session.rollback()
    return elapsed, len(breaches)


async def timed_count(maker: async_sessionmaker[AsyncSession]) -> float:
    async with maker() as session:
        started = time.perf_counter()
        await session.scalar(text("SELECT count(*) FROM sla_clocks"))
        return time.perf_counter() - started


RESTORE = [
    "DELETE FROM escalations",
    "DELETE FROM outbox_messages",
    "UPDATE sla_clocks SET breached_at = NULL WHERE breached_at IS NOT NULL",
    "UPDATE sla_clocks SET met_at = NULL, due_at = CAST(:now AS timestamptz) - interval '1 hour'"
    " WHERE kind = 'kickoff_held'",
    "UPDATE checkpoints SET announced_at = NULL WHERE announced_at = CAST(:now AS timestamptz)",
]


async def restore(engine: AsyncEngine, maker: async_sessionmaker[AsyncSession]) -> None:
    """Every kickoff overdue and open again, as a real backlog would be, committed."""
    async with maker() as session, session.begin():
        for statement in RESTORE:
            await session.execute(text(statement), {"now": NOW} if ":now" in statement else {})
    async with engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text("VACUUM ANALYZE sla_clocks, checkpoints, escalations, outbox_messages"))


async def timed_backlog(
    maker: async_sessionmaker[AsyncSession], batch: int, scanners: int
) -> tuple[float, int, int]:
    """`scanners` concurrent `scan_once` over the backlog: seconds, breaches, passes."""
    started = time.perf_counter()
    done = await asyncio.gather(*(tasks.scan_once(maker, batch=batch, now=NOW) for _ in range(scanners)))
    elapsed = time.perf_counter() - started
    passes = [p for scanner in done for p in scanner]
    return elapsed, sum(len(p) for p in passes), len(passes)


async def longest_pass(maker: async_sessionmaker[AsyncSession], batch: int) -> float:
    """The passes of `scan_once` again, each timed (its transaction, begin to commit): the longest."""
    longest = 0.0
    while True:
        started = time.perf_counter()
        async with maker() as session, session.begin():
            done = await scan_pass(session, NOW, limit=batch)
        longest = max(longest, time.perf_counter() - started)
        if len(done.breaches) < batch and done.announced < batch:
            return longest


async def main(n: int, rounds: int, batch: int) -> None:
    with infra("scheduling") as (url, _nats):
        engine = create_async_engine(url)
        maker = async_sessionmaker(engine, expire_on_commit=False)
        started = time.perf_counter()
        await seed(maker, n)
        print(
            f"seeded {n} engagements, {3 * n} clocks in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
        await timed_count(maker)  # warm the cache for both sides alike
        await timed_scan(maker, NOW, batch)
        counts = [await timed_count(maker) for _ in range(rounds)]
        day = [await timed_scan(maker, NOW, batch) for _ in range(rounds)]
        idle = [await timed_scan(maker, NOW - timedelta(days=10), batch) for _ in range(rounds)]
        await restore(engine, maker)
        every = await timed_backlog(maker, batch, 1)
        await restore(engine, maker)
        pass_max = await longest_pass(maker, batch)
        await restore(engine, maker)
        two = await timed_backlog(maker, batch, 2)
        await engine.dispose()
    base = statistics.median(counts)
    print(
        f"breaches per scan: day {day[0][1]}, idle {idle[0][1]}, all {every[1]} in {every[2]} passes "
        f"of at most {batch}, all with two scanners {two[1]} in {two[2]} passes",
        file=sys.stderr,
    )
    print(bench_line("sla_scan", statistics.median(s for s, _ in day), "s", "select_count", base))
    print(bench_line("sla_scan_idle", statistics.median(s for s, _ in idle), "s", "select_count", base))
    print(bench_line("sla_scan_all", every[0], "s", "select_count", base))
    print(bench_line("sla_scan_all_pass_max", pass_max, "s", "select_count", base))
    print(bench_line("sla_scan_all_two", two[0], "s", "select_count", base))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engagements", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()
    asyncio.run(main(args.engagements, args.rounds, args.batch))
