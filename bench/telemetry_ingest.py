"""Batched vendor telemetry ingest (`POST /vendors/{id}/events:batch`), against COPY of the same rows.

The analytics app runs in this process (ASGI, the real lifespan) on a throwaway embedded PostgreSQL
and NATS: one core for Python, one for PostgreSQL. 10,000 participants have granted
`vendor_sharing`; every event names one of them; one message in 10 names a Tandem session, so it
also writes a `VendorSessionReported` outbox row that the relay publishes while the ingest runs
(`--reported-every 1`: every message). Measured in one run:

- throughput: N signed events in batches of 1,000 with `Prefer: return=minimal`, eight requests in
  flight (`--in-flight`); the bodies and their signatures are built before the clock runs (the
  vendor's work, not ours);
- baseline: `COPY` of the same rows (same values, other message ids) into the same table,
  one COPY (and transaction) per 1,000 rows from as many connections as requests in flight, records
  built before the clock runs;
- latency: p50/p99 of a single-event POST, one at a time.

    .venv/bin/python bench/telemetry_ingest.py [--events 500000] [--singles 1000]
"""

import argparse
import asyncio
import contextlib
import json
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _infra import bench_line, infra, percentile

from tandem_analytics.app import create_app
from tandem_analytics.settings import Settings
from tandem_analytics.telemetry.domain import signature
from tandem_kit.testing import TestKeys, asgi_client, running

BATCH = 1000
IN_FLIGHT = 8
REPORTED_EVERY = 10
CHUNK = 20  # batches built at a time (about 9 MB of JSON), outside the timed part
PEOPLE = [uuid.uuid4() for _ in range(10_000)]
PROVIDERS = [uuid.uuid4() for _ in range(500)]
STARTED = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
COLUMNS = [
    "id",
    "vendor_id",
    "webhook_id",
    "type",
    "occurred_at",
    "vendor_session_id",
    "session_id",
    "engagement_id",
    "match_id",
    "participant_id",
    "provider_id",
    "started_at",
    "duration_minutes",
    "rating",
]


def event_json(n: int) -> str:
    completed = n % 10 != 0
    rating = f',"rating":{4 + n % 2}' if completed else ""
    # Every REPORTED_EVERY-th message names a Tandem session (and so causes a VendorSessionReported).
    session = f'"session_id":"{uuid.uuid4()}",' if n % REPORTED_EVERY == 0 else ""
    return (
        f'{{"id":"msg_{n:09d}","type":"session.{"completed" if completed else "no_show"}",'
        f'"data":{{"vendor_session_id":"vs-{n}",{session}'
        f'"participant_id":"{PEOPLE[n % len(PEOPLE)]}","provider_id":"{PROVIDERS[n % len(PROVIDERS)]}",'
        f'"started_at":"2026-11-20T09:00:00+00:00","duration_minutes":55{rating}}}}}'
    )


def signed_batch(secret: str, first: int) -> tuple[bytes, dict[str, str]]:
    body = ("[" + ",".join(event_json(n) for n in range(first, first + BATCH)) + "]").encode()
    msg_id, ts = f"batch_{first}", int(time.time())
    return body, {
        "content-type": "application/json",
        "prefer": "return=minimal",
        "webhook-id": msg_id,
        "webhook-timestamp": str(ts),
        "webhook-signature": signature(secret, msg_id, ts, body),
    }


def copy_record(vendor_id: uuid.UUID, n: int) -> tuple[Any, ...]:
    """The row the ingest stores for event `n`, under the baseline vendor."""
    item = json.loads(event_json(n))
    data = item["data"]
    return (
        uuid.uuid4(),
        vendor_id,
        item["id"],
        item["type"],
        STARTED,
        data["vendor_session_id"],
        uuid.UUID(data["session_id"]) if "session_id" in data else None,
        None,
        None,
        uuid.UUID(data["participant_id"]),
        uuid.UUID(data["provider_id"]),
        STARTED,
        55,
        data.get("rating"),
    )


async def register(http: httpx.AsyncClient, keys: TestKeys, name: str) -> dict[str, str]:
    resp = await http.post("/api/v1/analytics/vendors", json={"name": name}, headers=keys.headers("admin"))
    assert resp.status_code == 201, resp.text
    vendor: dict[str, str] = resp.json()
    return vendor


async def ingest(
    http: httpx.AsyncClient, auth: dict[str, str], vendor: dict[str, str], events: int
) -> tuple[float, float]:
    """(events/s of wall time, events per CPU second of this process: app, relay and HTTP client)."""
    url = f"/api/v1/analytics/vendors/{vendor['id']}/events:batch"
    elapsed = cpu = 0.0
    for chunk in range(0, events, BATCH * CHUNK):
        bodies = [
            signed_batch(vendor["secret"], n) for n in range(chunk, min(events, chunk + BATCH * CHUNK), BATCH)
        ]
        started, started_cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(poster(http, url, auth, bodies) for _ in range(IN_FLIGHT)))
        elapsed += time.perf_counter() - started
        cpu += time.process_time() - started_cpu
    return events / elapsed, events / cpu


async def poster(
    http: httpx.AsyncClient, url: str, auth: dict[str, str], queue: list[tuple[bytes, dict[str, str]]]
) -> None:
    while queue:
        body, headers = queue.pop()
        resp = await http.post(url, content=body, headers=headers | auth)
        if resp.status_code != 200 or resp.json()["accepted"] != BATCH or resp.json()["results"]:
            raise SystemExit(f"HTTP {resp.status_code}: {resp.text[:300]}")


async def copy_baseline(app: Any, vendor_id: uuid.UUID, events: int) -> float:
    """COPY rows/s from as many connections as the ingest has requests in flight."""
    elapsed = 0.0
    engine = app.state.database.engine
    async with contextlib.AsyncExitStack() as stack:
        raws = []
        for _ in range(IN_FLIGHT):
            conn = await stack.enter_async_context(engine.connect())
            raws.append((await conn.get_raw_connection()).driver_connection)
        for chunk in range(0, events, BATCH * CHUNK):
            records = [copy_record(vendor_id, n) for n in range(chunk, min(events, chunk + BATCH * CHUNK))]
            queue = [records[i : i + BATCH] for i in range(0, len(records), BATCH)]
            started = time.perf_counter()
            await asyncio.gather(*(copier(raw, queue) for raw in raws))
            elapsed += time.perf_counter() - started
    return events / elapsed


async def copier(raw: Any, queue: list[list[tuple[Any, ...]]]) -> None:
    while queue:
        rows = queue.pop()
        async with raw.transaction():
            await raw.copy_records_to_table("session_telemetry", records=rows, columns=COLUMNS)


async def singles(
    http: httpx.AsyncClient, auth: dict[str, str], vendor: dict[str, str], count: int
) -> list[float]:
    url = f"/api/v1/analytics/vendors/{vendor['id']}/events"
    latencies = []
    for n in range(count):
        item = json.loads(event_json(10_000_000 + n))
        body = json.dumps({"type": item["type"], "data": item["data"]}).encode()
        ts = int(time.time())
        headers = {
            "content-type": "application/json",
            "webhook-id": item["id"],
            "webhook-timestamp": str(ts),
            "webhook-signature": signature(vendor["secret"], item["id"], ts, body),
        }
        started = time.perf_counter()
        resp = await http.post(url, content=body, headers=headers | auth)
        latencies.append((time.perf_counter() - started) * 1000)
        if resp.status_code != 202:
            raise SystemExit(f"HTTP {resp.status_code}: {resp.text[:300]}")
    return latencies


async def measure(database_url: str, nats_url: str, events: int, count: int) -> None:
    keys = TestKeys()
    settings = Settings(
        environment="test",
        database_url=database_url,
        nats_url=nats_url,
        batch_max_items=BATCH,
        log_level="WARNING",
    )
    app = create_app(settings, token_verifier=keys.verifier("analytics"))
    async with running(app), asgi_client(app) as http:
        async with app.state.database.engine.begin() as conn:
            raw = (await conn.get_raw_connection()).driver_connection
            await raw.executemany(
                "INSERT INTO vendor_sharing_consents (person_id, granted, changed_at) VALUES ($1, true, now())",
                [(p,) for p in PEOPLE],
            )
        auth = keys.headers("analytics:ingest")
        pushing, copying = (
            await register(http, keys, "bench-ingest"),
            await register(http, keys, "bench-copy"),
        )
        await ingest(http, auth, await register(http, keys, "bench-warm-up"), BATCH * 4)
        rate, per_cpu = await ingest(http, auth, pushing, events)
        base = await copy_baseline(app, uuid.UUID(copying["id"]), events)
        latencies = await singles(http, auth, pushing, count)
    print(bench_line(f"telemetry_ingest_{events}_in_batches_of_{BATCH}", rate, "events/s", "copy", base))
    print(f"bench: telemetry_ingest_python_cpu {per_cpu:.0f} events per CPU second of the app process")
    print(
        f"bench: telemetry_single_event_latency p50={percentile(latencies, 50):.1f} ms "
        f"p99={percentile(latencies, 99):.1f} ms ({count} posts, one at a time)"
    )


def main() -> None:
    global REPORTED_EVERY, IN_FLIGHT
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=500_000, help="events to ingest (default 500,000)")
    parser.add_argument(
        "--reported-every", type=int, default=10, help="one message in N names a Tandem session (default 10)"
    )
    parser.add_argument("--singles", type=int, default=1000, help="single-event posts (default 1,000)")
    parser.add_argument(
        "--in-flight",
        type=int,
        default=IN_FLIGHT,
        help=f"concurrent batches, and COPY connections (default {IN_FLIGHT})",
    )
    args = parser.parse_args()
    REPORTED_EVERY = args.reported_every
    IN_FLIGHT = args.in_flight
    with infra("analytics") as (database_url, nats_url):
        asyncio.run(measure(database_url, nats_url, args.events, args.singles))


if __name__ == "__main__":
    main()
