"""Outbox relay throughput (events published to JetStream per second) against a plain INSERT loop.

.venv/bin/python bench/outbox_relay.py [--events N]
"""

import argparse
import asyncio
import sys
import time
import uuid
from pathlib import Path
from typing import ClassVar

from sqlalchemy import delete, insert

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _infra import bench_line, infra

from tandem_kit.db import Database
from tandem_kit.events import Broker, DomainEvent, OutboxRelay, emit, outbox_messages


class BenchHappened(DomainEvent):
    source: ClassVar[str] = "bench"
    n: int
    label: str


async def fill(db: Database, count: int) -> None:
    async with db.sessionmaker() as session, session.begin():
        for n in range(count):
            await emit(session, BenchHappened(n=n, label="x" * 64))


async def plain_inserts(db: Database, count: int) -> float:
    """The baseline: the same rows written with a plain INSERT per row, one transaction."""
    async with db.sessionmaker() as session, session.begin():
        await session.execute(delete(outbox_messages))
    started = time.perf_counter()
    async with db.sessionmaker() as session, session.begin():
        for n in range(count):
            await session.execute(
                insert(outbox_messages).values(
                    id=uuid.uuid4(),
                    subject="tandem.bench.BenchHappened",
                    payload={"data": {"n": n, "label": "x" * 64}},
                )
            )
    elapsed = time.perf_counter() - started
    async with db.sessionmaker() as session, session.begin():
        await session.execute(delete(outbox_messages))
    return count / elapsed


async def relay_rate(db: Database, nats_url: str, count: int) -> float:
    await fill(db, count)
    broker = Broker(nats_url, name="bench")
    broker.start()
    await broker.jetstream(timeout=10)
    relay = OutboxRelay(db.engine, broker, batch_size=500)
    started = time.perf_counter()
    while await relay.relay_once():
        pass
    elapsed = time.perf_counter() - started
    await broker.close()
    assert relay.published == count, relay.published
    return count / elapsed


async def main(count: int) -> None:
    with infra() as (url, nats_url):
        db = Database(url)
        baseline = await plain_inserts(db, count)
        rate = await relay_rate(db, nats_url, count)
        await db.dispose()
    print(bench_line("outbox_relay_throughput", rate, "events/s", "plain_insert_loop", baseline))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=5000)
    asyncio.run(main(parser.parse_args().events))
