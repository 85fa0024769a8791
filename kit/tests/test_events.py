"""Outbox relay and idempotent consumers against real PostgreSQL and a real NATS server."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.db import Database
from tandem_kit.embedded import EmbeddedNats, free_port
from tandem_kit.events import (
    Broker,
    DomainEvent,
    EventConsumer,
    EventEnvelope,
    OutboxRelay,
    RetryPolicy,
    Subscription,
    emit,
    ensure_stream,
    outbox_messages,
    processed_events,
)
from tandem_kit.tasks import cancel_and_wait
from tandem_kit.testing import Infra, eventually

# Any service's tree builds the kit tables; consent's is the smallest.
MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "consent"


class ThingHappened(DomainEvent):
    source: ClassVar[str] = "kittest"
    n: int


@pytest.fixture
async def database(infra: Infra) -> AsyncIterator[Database]:
    db = Database(infra.fresh_database("kit", MIGRATIONS))
    yield db
    await db.dispose()


async def emit_many(db: Database, count: int, start: int = 0) -> list[uuid.UUID]:
    ids = []
    async with db.sessionmaker() as session, session.begin():
        for n in range(start, start + count):
            ids.append((await emit(session, ThingHappened(n=n))).id)
    return ids


class ThingRetried(DomainEvent):
    source: ClassVar[str] = "kittest"
    n: int


class Recorder:
    def __init__(self) -> None:
        self.seen: list[int] = []

    async def __call__(self, session: AsyncSession, envelope: EventEnvelope) -> None:
        self.seen.append(envelope.data["n"])


async def test_emit_is_part_of_the_callers_transaction(database: Database) -> None:
    async with database.sessionmaker() as session:
        await emit(session, ThingHappened(n=1))
        await session.rollback()
    async with database.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(outbox_messages)) == 0


async def test_relay_publishes_and_consumer_applies_once(database: Database, infra: Infra) -> None:
    broker = Broker(infra.nats.url, name="kit-test")
    broker.start()
    relay = OutboxRelay(database.engine, broker, poll_seconds=0.05)
    recorder = Recorder()
    consumer = EventConsumer(
        broker,
        database.sessionmaker,
        Subscription(
            name=f"kittest-{uuid.uuid4().hex[:8]}",
            subjects=["tandem.kittest.ThingHappened"],
            handler=recorder,
        ),
    )
    tasks = [asyncio.create_task(relay.run()), asyncio.create_task(consumer.run())]
    try:
        ids = await emit_many(database, 5)
        await eventually(lambda: len(recorder.seen) >= 5)
        assert sorted(recorder.seen) == [0, 1, 2, 3, 4]
        async with database.sessionmaker() as session:
            unpublished = await session.scalar(
                select(func.count())
                .select_from(outbox_messages)
                .where(outbox_messages.c.published_at.is_(None))
            )
        assert unpublished == 0
        # A redelivered event (same id) is not applied again.
        again = EventEnvelope(
            id=ids[0], type="ThingHappened", source="kittest", occurred_at=datetime.now(UTC), data={"n": 0}
        )
        assert await consumer.apply(again) is False
        assert sorted(recorder.seen) == [0, 1, 2, 3, 4]
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await broker.close()


async def test_broker_outage_loses_nothing_and_duplicates_nothing(database: Database, tmp_path: Path) -> None:
    nats = EmbeddedNats(tmp_path / "nats", free_port())
    nats.start()
    broker = Broker(nats.url, name="kit-outage")
    broker.start()
    relay = OutboxRelay(database.engine, broker, poll_seconds=0.05)
    recorder = Recorder()
    consumer = EventConsumer(
        broker,
        database.sessionmaker,
        Subscription(name="kittest-outage", subjects=["tandem.kittest.ThingHappened"], handler=recorder),
    )
    tasks = [asyncio.create_task(relay.run()), asyncio.create_task(consumer.run())]
    try:
        await emit_many(database, 10, start=0)
        await eventually(lambda: len(recorder.seen) >= 10)

        nats.stop()
        await emit_many(database, 10, start=10)  # written while the broker is down
        await asyncio.sleep(0)  # let the relay try and fail at least once
        async with database.sessionmaker() as session:
            pending = await session.scalar(
                select(func.count())
                .select_from(outbox_messages)
                .where(outbox_messages.c.published_at.is_(None))
            )
        assert pending == 10

        nats.start()  # same store directory: the stream and the durable consumer survive
        await eventually(lambda: len(recorder.seen) >= 20, timeout=30)
        await asyncio.sleep(0.3)  # any duplicate delivery would land within this window
        assert sorted(recorder.seen) == list(range(20))
        assert relay.published == 20
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await broker.close()
        nats.stop()


async def test_a_failed_event_comes_again_and_is_applied_once(database: Database, infra: Infra) -> None:
    broker = Broker(infra.nats.url, name="kit-test-retry")
    broker.start()
    attempts: list[int] = []

    async def flaky(session: AsyncSession, envelope: EventEnvelope) -> None:
        attempts.append(envelope.data["n"])
        if len(attempts) == 1:
            raise RuntimeError("dependency down")

    relay = OutboxRelay(database.engine, broker, poll_seconds=0.05)
    consumer = EventConsumer(
        broker,
        database.sessionmaker,
        Subscription(
            name=f"kittest-{uuid.uuid4().hex[:8]}", subjects=["tandem.kittest.ThingRetried"], handler=flaky
        ),
    )
    tasks = [asyncio.create_task(relay.run()), asyncio.create_task(consumer.run())]
    try:
        async with database.sessionmaker() as session, session.begin():
            await emit(session, ThingRetried(n=41))
        await eventually(lambda: consumer.applied == 1)
        assert attempts == [41, 41]
        # Both loops end on request, without being cancelled.
        relay.stop()
        consumer.stop()
        done, _ = await asyncio.wait(tasks, timeout=5)
        assert len(done) == 2
        assert not any(t.cancelled() for t in done)
    finally:
        await cancel_and_wait(*tasks)
        await broker.close()


async def test_old_sent_events_and_markers_are_pruned(database: Database, infra: Infra) -> None:
    broker = Broker(infra.nats.url, name="kit-test-prune")
    relay = OutboxRelay(database.engine, broker, retention_seconds=3600)
    old_sent, new_sent, old_unsent = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    async with database.sessionmaker() as session, session.begin():
        hours = [(old_sent, -2), (new_sent, -0.5), (old_unsent, None)]
        for event_id, published in hours:
            await session.execute(
                outbox_messages.insert().values(
                    id=event_id,
                    subject="tandem.kittest.ThingHappened",
                    payload={"n": 1},
                    published_at=None if published is None else func.now() + timedelta(hours=published),
                )
            )
        for event_id, age in ((old_sent, 2), (new_sent, 0.5)):
            await session.execute(
                processed_events.insert().values(
                    event_id=event_id, consumer="kittest", processed_at=func.now() - timedelta(hours=age)
                )
            )
    assert await relay.prune_once() == (1, 1)
    async with database.sessionmaker() as session:
        left = set(await session.scalars(select(outbox_messages.c.id)))
        markers = set(await session.scalars(select(processed_events.c.event_id)))
    # Unsent rows are never pruned, however old: nothing accepted is lost.
    assert left == {new_sent, old_unsent}
    assert markers == {new_sent}


async def test_the_stream_keeps_events_for_the_retention(infra: Infra) -> None:
    broker = Broker(infra.nats.url, name="kit-test-stream", retention_seconds=86400)
    broker.start()
    try:
        js = await broker.jetstream(timeout=10)
        assert (await js.stream_info("TANDEM")).config.max_age == 86400
        await ensure_stream(js, max_age=7 * 86400)
        assert (await js.stream_info("TANDEM")).config.max_age == 7 * 86400
    finally:
        await broker.close()


def test_redelivery_backs_off_to_a_minute_and_parks_after_a_quarter_hour() -> None:
    policy = RetryPolicy()
    assert [policy.delay(n) for n in (None, 1, 2, 3, 6, 7, 20)] == [1, 1, 2, 4, 32, 60, 60]
    # The deliveries before an event is parked span about a quarter of an hour.
    assert 14 * 60 < sum(policy.delay(n) for n in range(1, policy.park_after)) < 20 * 60


@given(
    deliveries=st.integers(min_value=1, max_value=10**9),
    first=st.floats(min_value=0.001, max_value=10),
    cap=st.floats(min_value=0.01, max_value=3600),
)
def test_redelivery_delay_grows_and_never_passes_its_cap(deliveries: int, first: float, cap: float) -> None:
    # JetStream never gives up on an event, so the delivery count has no upper bound.
    policy = RetryPolicy(first_delay=first, max_delay=cap)
    assert 0 < policy.delay(deliveries) <= cap
    assert policy.delay(deliveries) <= policy.delay(deliveries + 1)


async def test_a_batch_is_emitted_in_order_in_the_callers_transaction(database: Database) -> None:
    from tandem_kit import events as kit_events

    async with database.sessionmaker() as session, session.begin():
        envelopes = await kit_events.emit_many(session, [ThingHappened(n=n) for n in range(3)])
    async with database.sessionmaker() as session:
        rows = (
            await session.execute(
                select(outbox_messages.c.id, outbox_messages.c.subject, outbox_messages.c.payload).order_by(
                    outbox_messages.c.seq
                )
            )
        ).all()
    assert [(r.id, r.subject, r.payload["data"]["n"]) for r in rows] == [
        (e.id, "tandem.kittest.ThingHappened", n) for n, e in enumerate(envelopes)
    ]
