"""One KPI snapshot (all 16 KPIs, stored and announced) for a program with 10,000 participants and
1,000,000 vendor telemetry rows: p99 over the rounds, against a bare `count(*)` over the same
telemetry rows in the same run (the baseline).

.venv/bin/python bench/kpi_snapshot.py [--participants N] [--telemetry N] [--rounds N]

Every participant has granted `analytics` consent (the consent check runs for every row), has a
coaching match (every tenth one a mentor match too), a booked session with an attendance-ledger
entry (every fifth one without: the vendor fallback), SLA clocks, and 100 vendor session reports.
The latest outcome per vendor session is seeded as ingest keeps it (migration 0010's back-fill).
`--explain` prints EXPLAIN ANALYZE of every statement one snapshot runs, slowest first.
"""

import argparse
import asyncio
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _infra import bench_line, infra, percentile

from tandem_analytics.kpi import service
from tandem_analytics.kpi.repository import Scope
from tandem_analytics.settings import Settings
from tandem_kit.db import Database

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)

SEED = """
INSERT INTO vendors (id, name, secret_encrypted) VALUES (:vendor, 'bench', '\\x00');
CREATE TEMP TABLE people AS
  SELECT n, md5('p' || n)::uuid AS person, md5('m' || n)::uuid AS match, md5('e' || n)::uuid AS engagement,
         md5('s' || n)::uuid AS session, md5('c' || (n % 500))::uuid AS coach
  FROM generate_series(1, :participants) AS n;
INSERT INTO analytics_consent_periods (person_id, granted_from)
  SELECT person, :now - interval '400 days' FROM people;
INSERT INTO provider_facts (provider_id, person_id, program_id, kind, capacity, registered_at)
  SELECT coach, gen_random_uuid(), :program, 'coach', 25, :now - interval '100 days'
  FROM (SELECT DISTINCT coach FROM people) AS coaches;
INSERT INTO match_facts (match_id, program_id, participant_id, provider_id, provider_kind, track, approved_at,
                         ended_at, end_reason)
  SELECT match, :program, person, coach, 'coach', 'coach', :now - (n % 90 || ' days')::interval,
         CASE WHEN n % 20 = 0 THEN :now - interval '1 day' END, CASE WHEN n % 20 = 0 THEN 'reassigned' END
  FROM people;
INSERT INTO match_facts (match_id, program_id, participant_id, provider_id, provider_kind, track, approved_at)
  SELECT md5('mm' || n)::uuid, :program, person, coach, 'mentor', 'mentor', :now - interval '30 days'
  FROM people WHERE n % 10 = 0;
INSERT INTO engagement_facts (engagement_id, match_id, program_id, participant_id, provider_id, kickoff_due_at,
                              created_at)
  SELECT engagement, match, :program, person, coach, :now - interval '20 days', :now - interval '25 days' FROM people;
INSERT INTO session_facts (session_id, engagement_id, match_id, participant_id, provider_id, kind, starts_at,
                           ends_at, booked_at)
  SELECT session, engagement, match, person, coach, 'kickoff', :now - interval '10 days',
         :now - interval '10 days' + interval '1 hour', :now - interval '12 days' FROM people;
INSERT INTO attendance_facts (session_id, engagement_id, match_id, program_id, participant_id, provider_person_id,
                              kind, starts_at, held, outcome, revision, recorded_at, recorded_by_role)
  SELECT session, engagement, match, :program, person, coach, 'kickoff', :now - interval '10 days', n % 7 <> 0,
         CASE WHEN n % 7 <> 0 THEN 'attended' ELSE 'no_show_participant' END, 1, :now - interval '10 days',
         'provider'
  FROM people WHERE n % 5 <> 0;
INSERT INTO sla_outcome_facts (engagement_id, sla, due_at, match_id, program_id, layer, met, ended_at)
  SELECT engagement, 'kickoff_held', :now - interval '20 days', match, :program,
         (ARRAY['coaching', 'mentoring', 'network'])[1 + n % 3], n % 9 <> 0, :now - interval '20 days'
  FROM people;
INSERT INTO sponsor_action_facts (action_id, match_id, program_id, participant_id, mentor_person_id, kind,
                                  action_date, outcome, logged_at)
  SELECT gen_random_uuid(), md5('mm' || n)::uuid, :program, person, coach, 'introduction',
         (:now - interval '5 days')::date, 'succeeded', :now - interval '5 days'
  FROM people WHERE n % 10 = 0;
INSERT INTO promotion_facts (person_id, promoted_at)
  SELECT person, :now - interval '15 days' FROM people WHERE n % 11 = 0;
INSERT INTO session_telemetry (id, vendor_id, webhook_id, type, occurred_at, vendor_session_id, session_id,
                               match_id, participant_id, provider_id, started_at, duration_minutes, rating,
                               received_at)
  SELECT gen_random_uuid(), :vendor, 'w' || t, CASE WHEN t % 8 = 0 THEN 'session.no_show' ELSE 'session.completed' END,
         :now - interval '2 days', 'vs' || t, CASE WHEN t <= :participants THEN md5('s' || t)::uuid END,
         md5('m' || (1 + t % :participants))::uuid, md5('p' || (1 + t % :participants))::uuid,
         md5('c' || (t % 500))::uuid, :now - interval '3 days', 50,
         CASE WHEN t % 8 = 0 THEN NULL ELSE 1 + t % 5 END, :now - interval '2 days'
  FROM generate_series(1, :telemetry) AS t;
INSERT INTO vendor_session_outcomes (vendor_id, vendor_session_id, type, participant_id, provider_id, session_id,
                                     engagement_id, match_id, started_at, rating, occurred_at, received_at,
                                     telemetry_id)
  SELECT DISTINCT ON (vendor_id, vendor_session_id) vendor_id, vendor_session_id, type, participant_id, provider_id,
         session_id, engagement_id, match_id, started_at, rating, occurred_at, received_at, id
  FROM session_telemetry WHERE type IN ('session.completed', 'session.no_show')
  ORDER BY vendor_id, vendor_session_id, occurred_at DESC, received_at DESC, id DESC;
INSERT INTO nps_responses (program_id, cohort, respondent_id, score, responded_at, vendor_id)
  SELECT :program, '2026-Q4', person, n % 11, :now - interval '3 days', :vendor FROM people;
INSERT INTO analytics_consent_periods (person_id, granted_from)
  SELECT md5('mgr' || n)::uuid, :now - interval '400 days' FROM people WHERE n % 10 = 0;
INSERT INTO coaching_adoption_reports (program_id, quarter, respondent_id, adopted, responded_at, vendor_id)
  SELECT :program, '2026-Q4', md5('mgr' || n)::uuid, n % 3 = 0, :now - interval '3 days', :vendor
  FROM people WHERE n % 10 = 0;
INSERT INTO business_kpi_values (program_id, kpi_name, period, segment_kind, segment, value, imported_at,
                                 imported_by)
  VALUES (:program, 'csat', '2026-Q4', 'program', '', 76.0, :now - interval '1 day', 'bench');
ANALYZE;
"""


async def seed(db: Database, program: uuid.UUID, participants: int, telemetry: int) -> None:
    params = {"program": program, "vendor": uuid.uuid4(), "now": NOW, "participants": participants,
              "telemetry": telemetry}  # fmt: skip
    async with db.engine.begin() as conn:
        for statement in filter(str.strip, SEED.split(";\n")):
            used = {k: v for k, v in params.items() if f":{k}" in statement}
            typed = statement.replace(":now", "CAST(:now AS timestamptz)")
            for name in ("program", "vendor"):
                typed = typed.replace(f":{name}", f"CAST(:{name} AS uuid)")
            for name in ("participants", "telemetry"):
                typed = typed.replace(f":{name}", f"CAST(:{name} AS int)")
            await conn.execute(text(typed), used)


async def explain(db: Database, program: uuid.UUID, settings: Settings) -> None:
    """Capture the statements of one snapshot, then run each under EXPLAIN ANALYZE (slowest first)."""
    captured: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            captured.append((statement, parameters))

    event.listen(db.engine.sync_engine, "before_cursor_execute", capture)
    async with db.sessionmaker() as session, session.begin():
        await service.take_snapshot(session, Scope(program), settings=settings, now=NOW)
    event.remove(db.engine.sync_engine, "before_cursor_execute", capture)
    plans = []
    async with db.engine.connect() as conn:
        for statement, parameters in captured:
            rows = await conn.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", parameters)
            plan = [r[0] for r in rows]
            took = float(next(line for line in plan if line.startswith("Execution Time")).split()[2])
            plans.append((took, statement, plan))
    for took, statement, plan in sorted(plans, key=lambda p: -p[0]):
        print(f"---- {took:.0f} ms\n{statement}\n" + "\n".join(plan))


async def main(participants: int, telemetry: int, rounds: int, *, explained: bool = False) -> None:
    with infra("analytics") as (url, _nats):
        db = Database(url, pool_size=2)
        program = uuid.uuid4()
        started = time.perf_counter()
        await seed(db, program, participants, telemetry)
        print(
            f"seeded {participants} participants, {telemetry} telemetry rows in {time.perf_counter() - started:.1f} s"
        )
        settings = Settings(environment="test")
        if explained:
            await explain(db, program, settings)
        snapshot_ms, count_ms = [], []
        for r in range(rounds):
            started = time.perf_counter()
            async with db.sessionmaker() as session, session.begin():
                taken = await service.take_snapshot(session, Scope(program), settings=settings, now=NOW)
            snapshot_ms.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            async with db.sessionmaker() as session:
                rows = await session.scalar(text("SELECT count(*) FROM session_telemetry"))
            count_ms.append((time.perf_counter() - started) * 1000)
            if r == 0:
                assert rows == telemetry, rows
                print("first snapshot:", ", ".join(f"{k.name}={k.value}" for k in taken.kpis))
        await db.dispose()
    print(
        f"snapshot p50 {percentile(snapshot_ms, 50):.0f} ms, count(*) p50 {percentile(count_ms, 50):.0f} ms"
    )
    print(bench_line("kpi_snapshot_p99", percentile(snapshot_ms, 99), "ms", "count_star_p99",
                     percentile(count_ms, 99)))  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--telemetry", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    asyncio.run(main(args.participants, args.telemetry, args.rounds, explained=args.explain))
