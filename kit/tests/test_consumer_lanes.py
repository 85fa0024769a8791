"""A subscription with `concurrency` and `order_key`: one fetched batch handled at once across keys,
in stream order within a key (real PostgreSQL and NATS)."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import ClassVar

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.db import Database
from tandem_kit.events import (
    Broker,
    DomainEvent,
    EventConsumer,
    EventEnvelope,
    OutboxRelay,
    Subscription,
    emit,
    outbox_messages,
)
from tandem_kit.tasks import cancel_and_wait
from tandem_kit.testing import Infra, eventually

MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "consent"


class ThingForPerson(DomainEvent):
    source: ClassVar[str] = "kittest"
    person: str
    n: int


@pytest.fixture
async def database(infra: Infra) -> AsyncIterator[Database]:
    db = Database(infra.fresh_database("kit_lanes", MIGRATIONS))
    yield db
    await db.dispose()


async def test_other_keys_go_ahead_and_one_keys_events_stay_in_order(
    database: Database, infra: Infra
) -> None:
    broker = Broker(infra.nats.url, name="kit-test-lanes")
    broker.start()
    relay = OutboxRelay(database.engine, broker, poll_seconds=0.05)
    b_applied = asyncio.Event()
    order: list[tuple[str, int]] = []

    async def handler(_session: AsyncSession, envelope: EventEnvelope) -> None:
        who, n = str(envelope.data["person"]), int(envelope.data["n"])
        if (who, n) == ("a", 1):
            # Handled one after another, a1 would wait here for b1, which comes after it, in vain.
            async with asyncio.timeout(10):
                await b_applied.wait()
        order.append((who, n))
        if who == "b":
            b_applied.set()

    sub = Subscription(
        name=f"kittest-{uuid.uuid4().hex[:8]}",
        subjects=["tandem.kittest.ThingForPerson"],
        handler=handler,
        concurrency=4,
        order_key=lambda envelope: str(envelope.data["person"]),
    )
    consumer = EventConsumer(broker, database.sessionmaker, sub)
    relaying = asyncio.create_task(relay.run())
    tasks = [relaying]
    try:
        async with database.sessionmaker() as session, session.begin():
            for who, n in (("a", 1), ("a", 2), ("b", 1)):
                await emit(session, ThingForPerson(person=who, n=n))

        async def published() -> bool:
            async with database.sessionmaker() as session:
                pending = await session.scalar(
                    select(func.count())
                    .select_from(outbox_messages)
                    .where(outbox_messages.c.published_at.is_(None))
                )
            return pending == 0

        await eventually(published)
        # All three are in the stream before the consumer starts, so its first fetch holds them all.
        tasks.append(asyncio.create_task(consumer.run()))
        await eventually(lambda: consumer.applied == 3)
        assert order == [("b", 1), ("a", 1), ("a", 2)]
    finally:
        await cancel_and_wait(*tasks)
        await broker.close()
