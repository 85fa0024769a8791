"""Parked events against real PostgreSQL and NATS: invalid ones at once, failing ones after their
budget, a database outage longer than the budget, and replays."""

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.db import Database
from tandem_kit.deadletters import DeadLetterCollector, Replayer, ReplayFailed, replay
from tandem_kit.events import (
    EXHAUSTED,
    INVALID,
    STREAM,
    Broker,
    EventConsumer,
    EventEnvelope,
    Failure,
    InvalidEvent,
    RetryPolicy,
    Subscription,
    dead_letters,
    letter_values,
    park,
    processed_events,
    typed,
)
from tandem_kit.tasks import cancel_and_wait, repeat
from tandem_kit.testing import Infra, eventually

MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "consent"
# A budget of three deliveries a few hundredths of a second apart: the same rules, in a test's time.
FAST = RetryPolicy(park_after=3, first_delay=0.01, max_delay=0.05, replay_every=0.05)


class Booked(BaseModel):
    n: int = Field(ge=0)


@pytest.fixture
async def database(infra: Infra) -> AsyncIterator[Database]:
    db = Database(infra.fresh_database("kitdl", MIGRATIONS))
    yield db
    await db.dispose()


@dataclass
class Handler:
    """Records what it applied; raises while `down` (a dependency that is away)."""

    down: bool = False
    calls: int = 0
    seen: list[int] = field(default_factory=list)

    async def __call__(self, session: AsyncSession, envelope: EventEnvelope, data: Booked) -> None:
        self.calls += 1
        if self.down:
            raise ConnectionError("dependency at 10.0.0.7 refused Ada Lovelace's booking")
        self.seen.append(data.n)


@dataclass
class Harness:
    broker: Broker
    consumer: EventConsumer
    subject: str

    async def publish(self, body: bytes, *, msg_id: uuid.UUID | None = None) -> None:
        js = await self.broker.jetstream(timeout=10)
        await js.publish(self.subject, body, headers={"Nats-Msg-Id": str(msg_id or uuid.uuid4())})

    async def publish_event(self, data: dict[str, Any]) -> uuid.UUID:
        envelope = event(data)
        await self.publish(envelope.model_dump_json().encode(), msg_id=envelope.id)
        return envelope.id

    async def pending(self) -> tuple[int, int]:
        """(delivered and not acknowledged, not delivered yet) for this consumer in JetStream."""
        js = await self.broker.jetstream(timeout=10)
        info = await js.consumer_info(STREAM, self.consumer.sub.name)
        return info.num_ack_pending, info.num_pending


def event(data: dict[str, Any]) -> EventEnvelope:
    return EventEnvelope(
        id=uuid.uuid4(), type="Booked", source="kittest", occurred_at=datetime.now(UTC), data=data
    )


@contextlib.asynccontextmanager
async def consuming(
    infra: Infra,
    database: Database,
    handler: Callable[[AsyncSession, EventEnvelope, Booked], Awaitable[None]],
) -> AsyncIterator[Harness]:
    topic = f"Booked{uuid.uuid4().hex[:8]}"
    broker = Broker(infra.nats.url, name=f"kit-{topic}")
    broker.start()
    sub = Subscription(
        name=f"kittest-{topic}", subjects=[f"tandem.kittest.{topic}"], handler=typed(Booked, handler)
    )
    consumer = EventConsumer(broker, database.sessionmaker, sub, policy=FAST)
    task = asyncio.create_task(consumer.run())
    try:
        yield Harness(broker=broker, consumer=consumer, subject=sub.subjects[0])
    finally:
        consumer.stop()
        await cancel_and_wait(task)
        await broker.close()


async def parked(database: Database, consumer: str) -> list[Any]:
    async with database.sessionmaker() as session:
        return list(
            (await session.execute(select(dead_letters).where(dead_letters.c.consumer == consumer))).all()
        )


async def markers(database: Database, consumer: str) -> int:
    async with database.sessionmaker() as session:
        count = await session.scalar(
            select(func.count()).select_from(processed_events).where(processed_events.c.consumer == consumer)
        )
    return int(count or 0)


async def test_an_invalid_payload_is_parked_at_once_without_its_values(
    infra: Infra, database: Database
) -> None:
    handler = Handler()
    async with consuming(infra, database, handler) as h:
        event_id = await h.publish_event({"n": "Ada Lovelace"})
        rows = await eventually(lambda: parked(database, h.consumer.sub.name))
        await eventually(lambda: _settled(h))
    (row,) = rows
    assert (row.event_id, row.reason, row.attempts, row.event_type) == (event_id, INVALID, 1, "Booked")
    assert (row.error_type, row.error_summary) == ("InvalidEvent", "Booked: n: int_parsing")
    assert row.next_attempt_at is None  # never replayed automatically
    assert row.payload["data"] == {"n": "Ada Lovelace"}  # kept as received, for a replay once fixed
    assert handler.calls == 0
    assert h.consumer.parked == {INVALID: 1, EXHAUSTED: 0}


async def _settled(h: Harness) -> bool:
    return await h.pending() == (0, 0)


async def _drained(database: Database, consumer: str) -> bool:
    return not await parked(database, consumer)


async def test_an_unreadable_envelope_is_parked_as_received(infra: Infra, database: Database) -> None:
    handler = Handler()
    msg_id = uuid.uuid4()
    async with consuming(infra, database, handler) as h:
        await h.publish(b"not json at all", msg_id=msg_id)
        rows = await eventually(lambda: parked(database, h.consumer.sub.name))
    (row,) = rows
    assert (row.event_id, row.event_type, row.reason, row.attempts) == (msg_id, "unknown", INVALID, 1)
    assert row.payload == {"raw": "not json at all"}
    assert row.error_summary == "EventEnvelope: (root): json_invalid"
    assert handler.calls == 0


async def test_a_failing_event_is_parked_after_its_budget_and_replayed_once_healthy(
    infra: Infra, database: Database
) -> None:
    handler = Handler(down=True)
    async with consuming(infra, database, handler) as h:
        event_id = await h.publish_event({"n": 7})
        rows = await eventually(lambda: parked(database, h.consumer.sub.name))
        await eventually(lambda: _settled(h))
        (row,) = rows
        assert (row.event_id, row.reason, row.attempts) == (event_id, EXHAUSTED, FAST.park_after)
        # Only exception types: the message named a host and a person.
        assert (row.error_type, row.error_summary) == ("ConnectionError", "ConnectionError")
        assert row.next_attempt_at is not None
        assert handler.calls == FAST.park_after

        replayer = Replayer(database.sessionmaker, [h.consumer])
        await replayer.refresh()
        assert replayer.counts == {(h.consumer.sub.name, EXHAUSTED): 1}
        # Still down: the round fails, the event stays parked with one more attempt.
        await eventually(lambda: _replay_round_tried(replayer, handler, FAST.park_after + 1))
        (row,) = await parked(database, h.consumer.sub.name)
        assert row.attempts == FAST.park_after + 1

        handler.down = False
        await eventually(replayer.run_once)
    assert handler.seen == [7]
    assert await parked(database, h.consumer.sub.name) == []
    assert await markers(database, h.consumer.sub.name) == 1
    assert replayer.counts == {}


async def _replay_round_tried(replayer: Replayer, handler: Handler, calls: int) -> bool:
    await replayer.run_once()
    return handler.calls >= calls


async def test_database_down_past_the_budget_then_back_loses_nothing(
    infra: Infra, database: Database
) -> None:
    name = make_url(database.engine.url).database
    handler = Handler()
    async with consuming(infra, database, handler) as h:
        # As in every app: the automatic replay runs beside the consumer.
        replayer = Replayer(database.sessionmaker, [h.consumer])
        replays = asyncio.create_task(
            repeat(replayer.run_once, FAST.replay_every, failure_event="test.replay")
        )
        await asyncio.to_thread(
            infra.postgres.psql,
            f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false; '
            f"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '{name}'",
        )
        try:
            for n in range(5):
                await h.publish_event({"n": n})
            # Every event went past its budget and could not even be parked: JetStream keeps it.
            await eventually(lambda: h.consumer.park_failures >= 5, timeout=30)
            assert (await h.pending())[0] == 5
            assert handler.calls == 0
        finally:
            await asyncio.to_thread(
                infra.postgres.psql, f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true'
            )
        # Back: each event is applied by its next delivery, or parked and then replayed.
        await eventually(lambda: len(handler.seen) >= 5, timeout=30)
        await eventually(lambda: _settled(h))
        # A replay round may still be committing what it applied (cancelled now, it would roll back
        # and leave the event parked for the next round: nothing lost, but not yet drained).
        await eventually(lambda: _drained(database, h.consumer.sub.name), timeout=30)
        await cancel_and_wait(replays)
    assert sorted(handler.seen) == [0, 1, 2, 3, 4]
    assert await markers(database, h.consumer.sub.name) == 5
    assert await parked(database, h.consumer.sub.name) == []


async def test_replaying_an_event_applied_meanwhile_only_unparks_it(infra: Infra, database: Database) -> None:
    handler = Handler()
    sub = Subscription(
        name="kittest-meanwhile", subjects=["tandem.kittest.Meanwhile"], handler=typed(Booked, handler)
    )
    consumer = EventConsumer(
        Broker(infra.nats.url, name="kit-meanwhile"), database.sessionmaker, sub, policy=FAST
    )
    envelope = event({"n": 1})
    letter = await _park(database, consumer, envelope, Failure.of(ConnectionError(), reason=EXHAUSTED))
    async with database.sessionmaker() as session, session.begin():
        await session.execute(processed_events.insert().values(event_id=envelope.id, consumer=sub.name))
    result = await replay(database.sessionmaker, {sub.name: consumer}, letter)
    assert (result.outcome, result.event_id) == ("already_applied", envelope.id)
    assert handler.calls == 0
    assert await parked(database, sub.name) == []


async def test_a_still_invalid_event_stays_parked_after_a_replay(infra: Infra, database: Database) -> None:
    handler = Handler()
    sub = Subscription(
        name="kittest-still", subjects=["tandem.kittest.Still"], handler=typed(Booked, handler)
    )
    consumer = EventConsumer(
        Broker(infra.nats.url, name="kit-still"), database.sessionmaker, sub, policy=FAST
    )
    envelope = event({"n": -1})
    letter = await _park(
        database,
        consumer,
        envelope,
        Failure.of(InvalidEvent("Booked: n: greater_than_equal"), reason=INVALID),
    )
    with pytest.raises(ReplayFailed) as failed:
        await replay(database.sessionmaker, {sub.name: consumer}, letter)
    assert failed.value.extensions == {"error_type": "InvalidEvent", "attempts": 2}
    (row,) = await parked(database, sub.name)
    assert (row.attempts, row.reason, row.error_summary, row.next_attempt_at) == (
        2,
        INVALID,
        "Booked: n: greater_than_equal",
        None,
    )
    assert await markers(database, sub.name) == 0


async def test_the_metric_counts_parked_events_per_consumer_and_reason(
    infra: Infra, database: Database
) -> None:
    sub = Subscription(
        name="kittest-metric", subjects=["tandem.kittest.Metric"], handler=typed(Booked, Handler())
    )
    consumer = EventConsumer(
        Broker(infra.nats.url, name="kit-metric"), database.sessionmaker, sub, policy=FAST
    )
    for failure in (Failure.of(ConnectionError(), reason=EXHAUSTED),) * 2 + (
        Failure.of(InvalidEvent("x"), reason=INVALID),
    ):
        await _park(database, consumer, event({"n": 1}), failure)

    @dataclass
    class State:
        dead_letters: Replayer
        consumers: list[EventConsumer]

    state = State(Replayer(database.sessionmaker, [consumer]), [consumer])
    await state.dead_letters.refresh()
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for metric in DeadLetterCollector(state).collect()
        for s in metric.samples
    }
    assert samples[("tandem_dead_letters", (("consumer", sub.name), ("reason", EXHAUSTED)))] == 2
    assert samples[("tandem_dead_letters", (("consumer", sub.name), ("reason", INVALID)))] == 1
    assert samples[("tandem_dead_letter_park_failures_total", (("consumer", sub.name),))] == 0


async def _park(
    database: Database, consumer: EventConsumer, envelope: EventEnvelope, failure: Failure
) -> uuid.UUID:
    values = letter_values(
        consumer.sub.name, consumer.sub.subjects[0], json.dumps({}).encode(), envelope, None
    )
    async with database.sessionmaker() as session, session.begin():
        await park(session, values, failure, attempts=1, policy=consumer.policy)
        letter = await session.scalar(
            select(dead_letters.c.id).where(
                dead_letters.c.consumer == consumer.sub.name, dead_letters.c.event_id == envelope.id
            )
        )
    assert letter is not None
    return uuid.UUID(str(letter))
