"""SCIM initial load and filter latency at the gateway (issue 12, "Measure").

1. Initial load: N users through `/scim/v2/Users`, one POST per user, 8 in parallel (as Entra ID does
   it), with an admin-issued provisioning token, until every `PersonProvisioned` has been relayed to
   JetStream (counted on the broker's stream) and consumed by matching and analytics (their durable
   consumers have nothing pending or unacknowledged). Baseline: the same rows INSERTed straight into the
   directory's `people` table, one row per statement, 8 connections in parallel.
2. `GET /scim/v2/Users?filter=userName eq "..."` p50/p99 at N users against a primary-key read
   (`GET /scim/v2/Users/{id}`), sequential, alternating call by call.

The whole local stack runs (devstack, embedded PostgreSQL and NATS, five uvicorn processes).

    .venv/bin/python bench/scim_provisioning.py [--users 20000] [--reads 500] [--total 20000]

On a busy machine, provision fewer users through SCIM and top the directory up to `--total` with
direct INSERTs before the reads are timed.
"""

import argparse
import asyncio
import contextlib
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import nats
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _infra import access_token, bench_line, percentile

from tandem_devstack.stack import PARTS, Stack, StackConfig
from tandem_kit.embedded import free_port
from tandem_kit.events import STREAM

PARALLEL = 8
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
SUBJECT = "tandem.gateway.PersonProvisioned"


@contextlib.contextmanager
def stack() -> Iterator[tuple[Stack, StackConfig, dict[str, str]]]:
    with tempfile.TemporaryDirectory(prefix="tandem-bench-scim-") as tmp:
        config = StackConfig(
            home=Path(tmp),
            ports={p.name: free_port() for p in PARTS},
            postgres_port=free_port(),
            nats_port=free_port(),
            fast_postgres=True,
        )
        running = Stack(config)
        running.start()
        try:
            yield running, config, running.clients["dev"]
        finally:
            running.stop()


def user(n: int, run: str) -> dict[str, object]:
    name = f"user{n:06d}.{run}@contoso.test"
    return {
        "schemas": [USER, ENTERPRISE],
        "externalId": f"{run}-{n}",
        "userName": name,
        "active": True,
        "displayName": f"User {n}",
        "title": "Engineer",
        "emails": [{"type": "work", "value": name, "primary": True}],
        "name": {"givenName": "User", "familyName": str(n)},
        ENTERPRISE: {"department": f"Dept {n % 40}", "employeeNumber": str(n)},
    }


async def relayed(nats_url: str) -> int:
    connection = await nats.connect(nats_url)
    try:
        info = await connection.jetstream().stream_info(STREAM, subjects_filter=SUBJECT)
        return int((info.state.subjects or {}).get(SUBJECT, 0))
    finally:
        await connection.close()


# The durable consumers that must have applied every PersonProvisioned (docs/contracts.md).
CONSUMERS = ("matching-person-provisioned", "analytics-directory-facts")


async def consumed(nats_url: str) -> bool:
    """Whether every consumer in CONSUMERS has nothing left to deliver or to be acknowledged."""
    connection = await nats.connect(nats_url)
    try:
        js = connection.jetstream()
        for name in CONSUMERS:
            info = await js.consumer_info(STREAM, name)
            if info.num_pending or info.num_ack_pending:
                return False
        return True
    finally:
        await connection.close()


async def provision(base: str, token: str, users: int, nats_url: str) -> tuple[float, float, list[str]]:
    """(seconds until every POST answered, seconds until every event was relayed, the ids)."""
    run = uuid.uuid4().hex[:6]
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(users):
        queue.put_nowait(n)
    ids: list[str] = []
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"}

    async def worker(http: httpx.AsyncClient) -> None:
        while not queue.empty():
            n = queue.get_nowait()
            response = await http.post("/Users", json=user(n, run))
            if response.status_code != 201:
                raise SystemExit(f"POST /Users: HTTP {response.status_code}: {response.text[:300]}")
            ids.append(response.json()["id"])

    before = await relayed(nats_url)
    limits = httpx.Limits(max_connections=PARALLEL, max_keepalive_connections=PARALLEL)
    async with httpx.AsyncClient(
        base_url=f"{base}/scim/v2", headers=headers, limits=limits, timeout=30
    ) as http:
        started = time.perf_counter()
        await asyncio.gather(*(worker(http) for _ in range(PARALLEL)))
        answered = time.perf_counter() - started
    while await relayed(nats_url) - before < users:
        await asyncio.sleep(0.2)
    # Relayed is not applied: wait until matching and analytics have consumed every event.
    while not await consumed(nats_url):
        await asyncio.sleep(0.2)
    return answered, time.perf_counter() - started, ids


async def direct_inserts(database_url: str, users: int, *, keep: bool = False) -> float:
    """The baseline: the same rows INSERTed into `people`, one statement per row, 8 connections
    (deleted afterwards unless `keep`: then they fill the table up for the read measurement)."""
    engine = create_async_engine(database_url, pool_size=PARALLEL)
    run = uuid.uuid4().hex[:6]
    insert = text(
        "INSERT INTO people (id, external_id, user_name, given_name, family_name, display_name, email, active, "
        "employee_number, title, department, source, version, created_at, updated_at) VALUES (:id, :external_id, "
        ":user_name, 'User', :family, :display, :user_name, true, :number, 'Engineer', :department, 'api', 1, "
        ":now, :now)"
    )
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(users):
        queue.put_nowait(n)

    async def worker() -> None:
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            while not queue.empty():
                n = queue.get_nowait()
                await conn.execute(
                    insert,
                    {
                        "id": uuid.uuid4(),
                        "external_id": f"{run}-{n}",
                        "user_name": f"direct{n:06d}.{run}@contoso.test",
                        "family": str(n),
                        "display": f"User {n}",
                        "number": str(n),
                        "department": f"Dept {n % 40}",
                        "now": datetime.now(UTC),
                    },
                )

    try:
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(PARALLEL)))
        elapsed = time.perf_counter() - started
        if keep:
            return elapsed
        async with engine.begin() as conn:
            await conn.execute(
                text("DELETE FROM people WHERE user_name LIKE :pattern"), {"pattern": f"direct%.{run}@%"}
            )
        return elapsed
    finally:
        await engine.dispose()


async def read_latency(base: str, token: str, ids: list[str], reads: int) -> tuple[list[float], list[float]]:
    headers = {"Authorization": f"Bearer {token}"}
    filtered: list[float] = []
    by_id: list[float] = []
    rng = random.Random(7)
    async with httpx.AsyncClient(base_url=f"{base}/scim/v2", headers=headers, timeout=30) as http:
        users = {}
        for person_id in rng.sample(ids, min(reads, len(ids))):
            body = (await http.get(f"/Users/{person_id}")).json()
            users[person_id] = body["userName"]
        for _ in range(2):  # warm-up round, then the measured one
            filtered.clear()
            by_id.clear()
            for person_id, user_name in users.items():
                started = time.perf_counter()
                response = await http.get("/Users", params={"filter": f'userName eq "{user_name}"'})
                filtered.append((time.perf_counter() - started) * 1000)
                if response.json()["totalResults"] != 1:
                    raise SystemExit(f"filter found {response.json()['totalResults']} for {user_name}")
                started = time.perf_counter()
                response = await http.get(f"/Users/{person_id}")
                by_id.append((time.perf_counter() - started) * 1000)
                response.raise_for_status()
    return filtered, by_id


def main(users: int, reads: int, total: int) -> None:
    with stack() as (running, config, client):
        assert running.postgres is not None
        asyncio.run(measure(config, client, running.postgres.url("gateway"), users, reads, total))


async def measure(
    config: StackConfig, client: dict[str, str], database_url: str, users: int, reads: int, total: int
) -> None:
    base = config.url("gateway")
    nats_url = f"nats://127.0.0.1:{config.nats_port}"
    async with httpx.AsyncClient(timeout=10) as http:
        admin = await access_token(http, base, client)
        issued = await http.post(
            f"{base}/api/v1/admin/scim-tokens",
            json={"client_name": "bench-entra"},
            headers={"Authorization": f"Bearer {admin}"},
        )
        issued.raise_for_status()
        token = issued.json()["token"]
    answered, relayed_after, ids = await provision(base, token, users, nats_url)
    baseline = await direct_inserts(database_url, users)
    if total > users:  # fill the directory up to `total` people before timing reads
        await direct_inserts(database_url, total - users, keep=True)
    filtered, by_id = await read_latency(base, token, ids, reads)

    print(f"users={users} parallel={PARALLEL} reads={len(filtered)} people_at_read_time={max(total, users)}")
    print(f"scim: all {users} POSTs answered in {answered:.1f} s ({users / answered:.0f} users/s)")
    print(
        f"scim: every PersonProvisioned relayed and consumed by {', '.join(CONSUMERS)} after "
        f"{relayed_after:.1f} s"
    )
    print(
        bench_line(
            "scim_provisioning_users_per_s",
            users / relayed_after,
            "users/s",
            "direct_insert",
            users / baseline,
        )
    )
    print(
        f"filter userName eq: p50 {percentile(filtered, 50):.2f} ms p99 {percentile(filtered, 99):.2f} ms; "
        f"GET /Users/{{id}}: p50 {percentile(by_id, 50):.2f} ms p99 {percentile(by_id, 99):.2f} ms"
    )
    print(
        bench_line(
            "scim_filter_user_name_p50", percentile(filtered, 50), "ms", "pk_read", percentile(by_id, 50)
        )
    )
    print(
        bench_line(
            "scim_filter_user_name_p99", percentile(filtered, 99), "ms", "pk_read", percentile(by_id, 99)
        )
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--reads", type=int, default=500)
    parser.add_argument(
        "--total",
        type=int,
        default=0,
        help="people in the directory when reads are timed (topped up by INSERT)",
    )
    args = parser.parse_args()
    main(args.users, args.reads, args.total)
