"""The warehouse export: 1,000,000 session-telemetry facts to one Parquet file (`GET /export/{table}`).

The analytics app runs in this process on a throwaway embedded PostgreSQL and NATS; the facts are
loaded with COPY first (10,000 participants, all with `analytics` consent, so every row is sent
whole: the most work a row can cause). Measured: seconds and rows/s of the whole export through the
endpoint (query, consent check, Parquet with zstd, streamed to the client), against the baseline of
reading the same rows with the same query, no Parquet (`COPY (SELECT ...) TO STDOUT`).

    .venv/bin/python bench/parquet_export.py [--rows 1000000]
"""

import argparse
import asyncio
import io
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _infra import bench_line, infra

from tandem_analytics.app import create_app
from tandem_analytics.export.domain import EXPORTS, select_sql
from tandem_analytics.settings import Settings
from tandem_kit.testing import TestKeys, asgi_client, running

PEOPLE = [uuid.uuid4() for _ in range(10_000)]
PROVIDERS = [uuid.uuid4() for _ in range(500)]
AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
COLUMNS = [
    "id", "vendor_id", "webhook_id", "type", "occurred_at", "vendor_session_id", "session_id",
    "participant_id", "provider_id", "started_at", "duration_minutes", "rating",
]  # fmt: skip


async def load(raw: object, rows: int) -> None:
    conn = raw  # asyncpg connection
    vendor = uuid.uuid4()
    await conn.execute(  # type: ignore[attr-defined]
        "INSERT INTO vendors (id, name, secret_encrypted) VALUES ($1, 'bench', '\\x00')", vendor
    )
    await conn.executemany(  # type: ignore[attr-defined]
        "INSERT INTO analytics_consents (person_id, granted, changed_at) VALUES ($1, true, now())",
        [(p,) for p in PEOPLE],
    )
    for start in range(0, rows, 100_000):
        records = [
            (
                uuid.uuid4(),
                vendor,
                f"m{n}",
                "session.completed",
                AT,
                f"vs{n}",
                uuid.uuid4(),
                PEOPLE[n % len(PEOPLE)],
                PROVIDERS[n % len(PROVIDERS)],
                AT,
                55,
                4 + n % 2,
            )
            for n in range(start, min(rows, start + 100_000))
        ]
        await conn.copy_records_to_table("session_telemetry", records=records, columns=COLUMNS)  # type: ignore[attr-defined]


async def measure(database_url: str, nats_url: str, rows: int) -> None:
    keys = TestKeys()
    settings = Settings(environment="test", database_url=database_url, nats_url=nats_url, log_level="WARNING")
    app = create_app(settings, token_verifier=keys.verifier("analytics"))
    async with running(app), asgi_client(app) as http:
        async with app.state.database.engine.begin() as conn:
            await load((await conn.get_raw_connection()).driver_connection, rows)
        async with app.state.database.engine.connect() as conn:
            raw = (await conn.get_raw_connection()).driver_connection
            await raw.execute("VACUUM ANALYZE session_telemetry")
            sql = (
                select_sql(EXPORTS["session_telemetry"])
                .replace("$1", "'0'")
                .replace("$2", "'18446744073709551615'")
            )
            sink = io.BytesIO()

            async def write(data: bytes) -> None:
                sink.write(data)

            started = time.perf_counter()
            await raw.copy_from_query(sql, output=write)
            base = rows / (time.perf_counter() - started)
        started = time.perf_counter()
        resp = await http.get(
            "/api/v1/analytics/export/session_telemetry",
            headers=keys.headers("analytics:export"),
            timeout=600,
        )
        seconds = time.perf_counter() - started
        assert resp.status_code == 200, resp.text[:300]
        table = pq.read_table(io.BytesIO(resp.content))
        assert table.num_rows == rows == int(resp.headers["x-export-rows"]), table.num_rows
    print(bench_line(f"parquet_export_{rows}_facts", rows / seconds, "rows/s", "copy_to_stdout", base))
    print(
        f"bench: parquet_export_seconds {seconds:.1f} s for {rows} rows, file {len(resp.content) / 1e6:.1f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=1_000_000, help="facts to export (default 1,000,000)")
    args = parser.parse_args()
    with infra("analytics") as (database_url, nats_url):
        asyncio.run(measure(database_url, nats_url, args.rows))


if __name__ == "__main__":
    main()
