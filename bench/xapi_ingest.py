"""xAPI statement ingest at the gateway's LRS endpoint (`POST /xapi/statements`).

The gateway runs as its own uvicorn process on a throwaway embedded PostgreSQL and NATS; 1,000
directory people and one mapped activity are seeded, so every statement is kept, gives one piece of
evidence and one outbox event (the most work a statement can cause). Measured in one run:

- throughput: 10 concurrent clients, each posting batches of 100 statements back to back;
- latency: p50/p99 of a single-statement POST, 10 concurrent clients;
- baseline: the same statement rows written with one INSERT per statement (10 concurrent
  connections, one transaction per 100), no HTTP, no validation, no evidence.

    .venv/bin/python bench/xapi_ingest.py [--batches 20] [--singles 200]
"""

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _infra import REPO, bench_line

from tandem_gateway.directory import service as directory
from tandem_gateway.directory.schemas import PersonRecord
from tandem_gateway.models import CurriculumMapping, XapiStatement
from tandem_gateway.oauth import clients
from tandem_gateway.oauth.schemas import ClientCreate
from tandem_gateway.xapi import domain
from tandem_kit.db import Database
from tandem_kit.embedded import EmbeddedNats, EmbeddedPostgres, free_port
from tandem_kit.migrations import upgrade_head

CLIENTS = 10
BATCH = 100
PEOPLE = 1000
ACTIVITY = "https://lms.example.com/courses/bias-awareness"
HEADERS = {"X-Experience-API-Version": "1.0.3"}


def statement(i: int) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "mbox": f"mailto:person{i % PEOPLE}@example.com"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}},
        "object": {"objectType": "Activity", "id": ACTIVITY},
        "result": {"completion": True, "duration": "PT42M"},
        "timestamp": "2026-12-07T10:00:00Z",
    }


async def seed(database_url: str) -> tuple[str, str]:
    database = Database(database_url, pool_size=2)
    try:
        async with database.sessionmaker() as session, session.begin():
            for i in range(PEOPLE):
                record = PersonRecord(user_name=f"person{i}", email=f"person{i}@example.com")
                await directory.apply_person(session, record, person_id=None, source="api", actor="bench")
            session.add(
                CurriculumMapping(
                    program_id=uuid.uuid4(),
                    activity_id=ACTIVITY,
                    item="bias_awareness_training",
                    rule="completion",
                )
            )
            created, secret = await clients.create_client(
                session, None, ClientCreate(name="bench-lms", scopes=["xapi:write"])
            )
        return created.client_id, secret
    finally:
        await database.dispose()


async def throughput(http: httpx.AsyncClient, headers: dict[str, str], batches: int) -> float:
    async def client(c: int) -> None:
        for b in range(batches):
            body = [statement(c * 100_000 + b * BATCH + i) for i in range(BATCH)]
            resp = await http.post("/xapi/statements", json=body, headers=headers)
            if resp.status_code != 200:
                raise SystemExit(f"HTTP {resp.status_code}: {resp.text[:300]}")

    started = time.perf_counter()
    await asyncio.gather(*(client(c) for c in range(CLIENTS)))
    return CLIENTS * batches * BATCH / (time.perf_counter() - started)


async def single_latencies(http: httpx.AsyncClient, headers: dict[str, str], count: int) -> list[float]:
    latencies: list[float] = []

    async def client(c: int) -> None:
        for i in range(count):
            started = time.perf_counter()
            resp = await http.post("/xapi/statements", json=statement(c * 1000 + i), headers=headers)
            latencies.append(time.perf_counter() - started)
            if resp.status_code != 200:
                raise SystemExit(f"HTTP {resp.status_code}: {resp.text[:300]}")

    await asyncio.gather(*(client(c) for c in range(CLIENTS)))
    return sorted(latencies)


async def baseline(database_url: str, rows: int) -> float:
    """One INSERT per statement row, 10 connections, a transaction per 100 rows."""
    database = Database(database_url, pool_size=CLIENTS)
    person = uuid.uuid4()

    async def writer(c: int) -> None:
        for start in range(0, rows // CLIENTS, BATCH):
            async with database.sessionmaker() as session, session.begin():
                for i in range(start, start + BATCH):
                    body = statement(c * 100_000 + i)
                    await session.execute(
                        insert(XapiStatement).values(
                            id=uuid.UUID(body["id"]),
                            content_hash=domain.content_hash(body),
                            statement=body,
                            person_id=person,
                            actor_ifi=domain.actor_ifi(body["actor"]),
                            verb_id=body["verb"]["id"],
                            activity_id=ACTIVITY,
                            writer="baseline",
                        )
                    )

    try:
        started = time.perf_counter()
        await asyncio.gather(*(writer(c) for c in range(CLIENTS)))
        return rows / (time.perf_counter() - started)
    finally:
        await database.dispose()


async def measure(
    url: str, database_url: str, client_id: str, secret: str, batches: int, singles: int
) -> None:
    limits = httpx.Limits(max_keepalive_connections=CLIENTS)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60.0) as http:
        token = await http.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
        )
        headers = {**HEADERS, "Authorization": f"Bearer {token.json()['access_token']}"}
        await throughput(http, headers, 1)  # warm-up: pools, caches, the directory's pages
        rate = await throughput(http, headers, batches)
        latencies = await single_latencies(http, headers, singles)
    base = await baseline(database_url, CLIENTS * batches * BATCH)
    p50 = latencies[len(latencies) // 2] * 1000
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    print(bench_line("xapi_ingest_batches_of_100", rate, "statements/s", "insert_per_statement", base))
    print(
        f"bench: xapi_single_post_latency p50={p50:.1f} ms p99={p99:.1f} ms ({len(latencies)} posts, {CLIENTS} clients)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--batches", type=int, default=20, help="batches of 100 per client (default 20)")
    parser.add_argument(
        "--singles", type=int, default=200, help="single-statement posts per client (default 200)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tandem-bench-xapi-") as tmp:
        pg = EmbeddedPostgres(Path(tmp) / "pg", free_port(), fast=True)
        nats = EmbeddedNats(Path(tmp) / "nats", free_port())
        pg.start()
        nats.start()
        gateway = None
        try:
            pg.ensure_database("gateway")
            database_url = pg.url("gateway")
            upgrade_head(REPO / "gateway", database_url)
            client_id, secret = asyncio.run(seed(database_url))
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            env = {
                **os.environ,
                "GATEWAY_ENVIRONMENT": "development",
                "GATEWAY_DATABASE_URL": database_url,
                "GATEWAY_NATS_URL": nats.url,
                "GATEWAY_ISSUER": url,
                "GATEWAY_LOG_LEVEL": "WARNING",
                "GATEWAY_GRAPHQL_SUBGRAPHS": "[]",
            }
            gateway = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "tandem_gateway.app:create_app",
                    "--factory",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--no-access-log",
                ],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=(Path(tmp) / "gateway.log").open("wb"),
            )
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or gateway.poll() is not None:
                    raise SystemExit((Path(tmp) / "gateway.log").read_text()[-3000:])
                time.sleep(0.2)
            asyncio.run(measure(url, database_url, client_id, secret, args.batches, args.singles))
        finally:
            if gateway is not None:
                gateway.terminate()
                gateway.wait(10)
            nats.stop()
            pg.stop()


if __name__ == "__main__":
    main()
