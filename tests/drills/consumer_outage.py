"""Slow drill (not part of `make test`): a consumer's PostgreSQL killed with SIGKILL again and again,
each outage longer than the delivery budget, while events keep arriving. Nothing may be lost and
nothing applied twice.

    .venv/bin/python tests/drills/consumer_outage.py --events 2000 --kills 5 --outage 8

The handler inserts one row per event into a table whose primary key is the event's number, in the
consumer's transaction: the drill passes when the table holds every number exactly once, no dead
letter is left and JetStream has nothing pending.
"""

import argparse
import asyncio
import os
import random
import signal
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.db import Database
from tandem_kit.deadletters import Replayer
from tandem_kit.embedded import EmbeddedNats, EmbeddedPostgres, free_port
from tandem_kit.events import (
    STREAM,
    Broker,
    EventConsumer,
    EventEnvelope,
    RetryPolicy,
    Subscription,
    dead_letters,
    typed,
)
from tandem_kit.migrations import upgrade_head
from tandem_kit.tasks import cancel_and_wait, repeat

REPO = Path(__file__).resolve().parents[2]
SUBJECT = "tandem.drill.Counted"


class Counted(BaseModel):
    n: int


async def count_it(session: AsyncSession, _envelope: EventEnvelope, data: Counted) -> None:
    await session.execute(text("INSERT INTO drill_applied (n) VALUES (:n)"), {"n": data.n})


def kill_postgres(pg: EmbeddedPostgres) -> None:
    """SIGKILL the postmaster and its backends (one process group), as a crashed host would."""
    assert pg.proc is not None
    os.killpg(pg.proc.pid, signal.SIGKILL)
    pg.proc.wait()


async def main(events: int, kills: int, outage: float) -> None:
    with tempfile.TemporaryDirectory(prefix="tandem-drill-") as tmp:
        pg = EmbeddedPostgres(Path(tmp) / "pg", free_port())
        nats = EmbeddedNats(Path(tmp) / "nats", free_port())
        pg.start()
        nats.start()
        try:
            pg.ensure_database("drill")
            url = pg.url("drill")
            await asyncio.to_thread(upgrade_head, REPO / "services" / "consent", url)
            pg.psql("CREATE TABLE drill_applied (n integer PRIMARY KEY)", database="drill")
            await drill(pg, nats, url, events=events, kills=kills, outage=outage)
        finally:
            nats.stop()
            if pg.proc is not None and pg.proc.poll() is None:
                pg.stop()


async def drill(
    pg: EmbeddedPostgres, nats: EmbeddedNats, url: str, *, events: int, kills: int, outage: float
) -> None:
    # The production budget (20 deliveries over ~15 minutes) scaled to ~5 seconds, so an outage of
    # `outage` seconds exhausts it: events then go through the failed park and the replay as well.
    policy = RetryPolicy(park_after=10, first_delay=0.05, max_delay=1.0, replay_every=2.0)
    database = Database(url, pool_size=5)
    broker = Broker(nats.url, name="drill")
    broker.start()
    sub = Subscription(name="drill-counter", subjects=[SUBJECT], handler=typed(Counted, count_it))
    consumer = EventConsumer(broker, database.sessionmaker, sub, policy=policy)
    replayer = Replayer(database.sessionmaker, [consumer])
    tasks = [
        asyncio.create_task(consumer.run()),
        asyncio.create_task(repeat(replayer.run_once, policy.replay_every, failure_event="drill.replay")),
    ]
    js = await broker.jetstream(timeout=10)
    started = time.monotonic()
    per_round = events // (kills + 1)
    sent, down_seconds = 0, 0.0
    try:
        for round_ in range(kills + 1):
            batch = per_round if round_ < kills else events - sent
            for n in range(sent, sent + batch):
                envelope = EventEnvelope(
                    id=uuid.uuid4(),
                    type="Counted",
                    source="drill",
                    occurred_at=datetime.now(UTC),
                    data={"n": n},
                )
                await js.publish(
                    SUBJECT, envelope.model_dump_json().encode(), headers={"Nats-Msg-Id": str(envelope.id)}
                )
            sent += batch
            if round_ == kills:
                break
            await asyncio.sleep(random.uniform(0, 0.5))
            kill_postgres(pg)
            await asyncio.sleep(outage)
            down_seconds += outage
            await asyncio.to_thread(pg.start)
        deadline = time.monotonic() + 600
        applied = 0
        while time.monotonic() < deadline:
            try:
                async with database.sessionmaker() as session:
                    applied = int(await session.scalar(text("SELECT count(*) FROM drill_applied")) or 0)
            except Exception:  # the database may still be recovering
                applied = -1
            if applied == events:
                break
            await asyncio.sleep(0.5)
        converged = time.monotonic() - started
        async with database.sessionmaker() as session:
            parked = int(await session.scalar(select(func.count()).select_from(dead_letters)) or 0)
            distinct = int(await session.scalar(text("SELECT count(DISTINCT n) FROM drill_applied")) or 0)
        info = await js.consumer_info(STREAM, sub.name)
    finally:
        consumer.stop()
        await cancel_and_wait(*tasks)
        await broker.close()
        await database.dispose()
    ok = applied == distinct == events and parked == 0 and info.num_ack_pending == 0 and info.num_pending == 0
    print(  # noqa: T201 - the drill's result line
        f"drill: events={events} kills={kills} outage={outage}s (total {down_seconds:.0f}s down) "
        f"applied={applied} distinct={distinct} parked_left={parked} park_failures={consumer.park_failures} "
        f"parked={sum(consumer.parked.values())} pending={info.num_ack_pending}/{info.num_pending} "
        f"converged_in={converged:.1f}s -> {'OK' if ok else 'FAILED'}"
    )
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--outage", type=float, default=8.0, help="seconds PostgreSQL stays down each time")
    args = parser.parse_args()
    asyncio.run(main(args.events, args.kills, args.outage))
