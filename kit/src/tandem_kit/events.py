"""Domain events: the transactional outbox, the relay to NATS JetStream, and idempotent consumers."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import nats
import structlog
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StreamConfig
from nats.js.errors import NotFoundError
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Uuid,
    delete,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from tandem_kit.db import new_metadata
from tandem_kit.tasks import cancel_and_wait

log = structlog.get_logger("tandem.events")

STREAM = "TANDEM"
EVENT_RETENTION_SECONDS = 7 * 24 * 3600.0  # events carry personal data: the stream keeps them a week
SUBJECT_PREFIX = "tandem"
NOTIFY_CHANNEL = "tandem_outbox"

# The kit's own tables: every service creates them in its first migration (see tandem_kit.migrations).
kit_metadata = new_metadata()
outbox_messages = Table(
    "outbox_messages",
    kit_metadata,
    Column("id", Uuid, primary_key=True),
    Column("seq", BigInteger, Identity(), nullable=False, unique=True),
    Column("subject", String(200), nullable=False),
    Column("payload", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("published_at", DateTime(timezone=True), nullable=True, index=True),
)
processed_events = Table(
    "processed_events",
    kit_metadata,
    Column("event_id", Uuid, nullable=False),
    Column("consumer", String(120), nullable=False),
    Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("attempts", Integer, nullable=False, server_default=text("1")),
    PrimaryKeyConstraint("event_id", "consumer"),
)


class DomainEvent(BaseModel):
    """A past-tense fact. Subclasses are frozen models named like `MatchApproved`."""

    model_config = ConfigDict(frozen=True)
    source: ClassVar[str] = ""

    @classmethod
    def event_type(cls) -> str:
        return cls.__name__


class EventEnvelope(BaseModel):
    """What travels on the broker: CloudEvents-like metadata around the event's data."""

    id: uuid.UUID = Field(description="Event id; consumers deduplicate on it.")
    type: str = Field(description="Event type, e.g. MatchApproved.")
    source: str = Field(description="Service that emitted the event.")
    occurred_at: datetime
    data: dict[str, Any]


def subject_for(source: str, event_type: str) -> str:
    return f"{SUBJECT_PREFIX}.{source}.{event_type}"


async def emit(
    session: AsyncSession, event: DomainEvent, *, event_id: uuid.UUID | None = None
) -> EventEnvelope:
    """Write `event` to the outbox in the caller's transaction; the relay publishes it after commit."""
    source = type(event).source
    if not source:
        raise ValueError(f"{type(event).__name__} must declare its source service")
    envelope = EventEnvelope(
        id=event_id or uuid.uuid4(),
        type=type(event).event_type(),
        source=source,
        occurred_at=datetime.now(UTC),
        data=event.model_dump(mode="json"),
    )
    await session.execute(
        insert(outbox_messages).values(
            id=envelope.id,
            subject=subject_for(source, envelope.type),
            payload=envelope.model_dump(mode="json"),
        )
    )
    # Delivered only on commit, so the relay wakes exactly when there is something to publish.
    await session.execute(text(f"NOTIFY {NOTIFY_CHANNEL}"))
    return envelope


class Broker:
    """A NATS connection that keeps trying until the server is there, and reconnects forever after."""

    def __init__(self, url: str, *, name: str, retention_seconds: float = EVENT_RETENTION_SECONDS) -> None:
        self.url = url
        self.name = name
        self.retention_seconds = retention_seconds
        self.nc: NatsClient | None = None
        self._connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stream_ready = False

    @property
    def connected(self) -> bool:
        return self.nc is not None and self.nc.is_connected

    def start(self) -> None:
        self._task = asyncio.create_task(self._connect_loop(), name=f"{self.name}-nats-connect")

    async def _connect_loop(self) -> None:
        delay = 0.1
        while True:
            try:
                self.nc = await nats.connect(
                    servers=[self.url],
                    name=self.name,
                    allow_reconnect=True,
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=0.2,
                    connect_timeout=2,
                    drain_timeout=2,
                )
            except Exception as exc:
                log.warning("broker.connect_failed", error_type=type(exc).__name__, retry_in=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
                continue
            self._connected.set()
            return

    async def jetstream(self, timeout: float | None = None) -> JetStreamContext:
        # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation (gh-86296).
        async with asyncio.timeout(timeout):
            await self._connected.wait()
        assert self.nc is not None
        js = self.nc.jetstream(timeout=5)
        if not self._stream_ready:
            await ensure_stream(js, max_age=self.retention_seconds)
            self._stream_ready = True
        return js

    async def close(self) -> None:
        if self._task is not None:
            await cancel_and_wait(self._task)
        if self.nc is not None and not self.nc.is_closed:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(5):
                    await self.nc.drain()
            if not self.nc.is_closed:
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(5):
                        await self.nc.close()


async def ensure_stream(js: JetStreamContext, *, max_age: float = EVENT_RETENTION_SECONDS) -> None:
    """The one stream for every service's events; messages older than `max_age` seconds are dropped."""
    try:
        info = await js.stream_info(STREAM)
    except NotFoundError:
        await js.add_stream(
            StreamConfig(
                name=STREAM, subjects=[f"{SUBJECT_PREFIX}.>"], duplicate_window=300.0, max_age=max_age
            )
        )
        return
    if info.config.max_age != max_age:
        info.config.max_age = max_age
        await js.update_stream(info.config)


class OutboxRelay:
    """Publishes committed outbox rows to JetStream, at least once, in commit order per batch.

    A row is marked published only after JetStream acknowledged it; JetStream drops a repeated
    `Nats-Msg-Id` inside its duplicate window, and consumers deduplicate by event id beyond it.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        broker: Broker,
        *,
        poll_seconds: float = 0.5,
        batch_size: int = 500,
        retention_seconds: float = EVENT_RETENTION_SECONDS,
        prune_every_seconds: float = 3600.0,
    ) -> None:
        self.engine = engine
        self.broker = broker
        self.poll_seconds = poll_seconds
        self.batch_size = batch_size
        self.retention_seconds = retention_seconds
        self.prune_every_seconds = prune_every_seconds
        self._pruned_at = float("-inf")
        self._wake = asyncio.Event()
        self._stopping = False
        self.published = 0

    def stop(self) -> None:
        """Ask `run` to return after the batch in flight."""
        self._stopping = True
        self._wake.set()

    async def relay_once(self) -> int:
        js = await self.broker.jetstream(timeout=self.poll_seconds * 4)
        async with self.engine.begin() as conn:
            rows = (
                await conn.execute(
                    select(outbox_messages.c.id, outbox_messages.c.subject, outbox_messages.c.payload)
                    .where(outbox_messages.c.published_at.is_(None))
                    .order_by(outbox_messages.c.seq)
                    .limit(self.batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not rows:
                return 0
            acks = [
                js.publish(
                    row.subject,
                    json.dumps(row.payload).encode(),
                    headers={"Nats-Msg-Id": str(row.id)},
                )
                for row in rows
            ]
            await asyncio.gather(*acks)
            await conn.execute(
                update(outbox_messages)
                .where(outbox_messages.c.id.in_([row.id for row in rows]))
                .values(published_at=func.now())
            )
        self.published += len(rows)
        return len(rows)

    async def prune_once(self) -> tuple[int, int]:
        """Delete published outbox rows and dedup markers older than the retention: both carry event
        data (personal data included), and the broker no longer holds an event that old to redeliver."""
        cutoff = func.now() - timedelta(seconds=self.retention_seconds)
        async with self.engine.begin() as conn:
            sent = await conn.execute(
                delete(outbox_messages).where(
                    outbox_messages.c.published_at.is_not(None), outbox_messages.c.published_at < cutoff
                )
            )
            seen = await conn.execute(
                delete(processed_events).where(processed_events.c.processed_at < cutoff)
            )
        return sent.rowcount, seen.rowcount

    async def _prune_if_due(self) -> None:
        now = asyncio.get_running_loop().time()
        if now - self._pruned_at < self.prune_every_seconds:
            return
        self._pruned_at = now
        try:
            sent, seen = await self.prune_once()
        except Exception as exc:
            log.warning("outbox.prune_failed", error_type=type(exc).__name__)
            return
        if sent or seen:
            log.info("outbox.pruned", outbox_rows=sent, processed_markers=seen)

    async def _listen(self) -> None:
        """Wake the relay on NOTIFY; reconnects when the database connection drops."""
        while True:
            try:
                async with self.engine.connect() as conn:
                    raw = await conn.get_raw_connection()
                    driver = raw.driver_connection
                    assert driver is not None
                    await driver.add_listener(NOTIFY_CHANNEL, lambda *_: self._wake.set())
                    while not driver.is_closed():
                        await asyncio.sleep(5)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("outbox.listen_failed", error_type=type(exc).__name__)
                await asyncio.sleep(1)

    async def run(self) -> None:
        listener = asyncio.create_task(self._listen())
        delay = self.poll_seconds
        try:
            while not self._stopping:
                self._wake.clear()
                try:
                    count = await self.relay_once()
                    delay = self.poll_seconds
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    # Broker or database down: nothing was marked published, so nothing is lost.
                    log.warning("outbox.relay_failed", error_type=type(exc).__name__, retry_in=delay)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 5.0)
                    continue
                if count:
                    continue
                await self._prune_if_due()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.poll_seconds):
                        await self._wake.wait()
        finally:
            await cancel_and_wait(listener)


Handler = Callable[[AsyncSession, EventEnvelope], Awaitable[None]]


@dataclass(frozen=True)
class Subscription:
    """A durable consumer: `name` is unique per service and handler, `subjects` the event subjects."""

    name: str
    subjects: Sequence[str]
    handler: Handler
    # False only for consumers that must see erased people (answering data-subject requests, purges).
    drops_erased: bool = True
    # Events of one fetched batch handled at once, at most this many; those with the same `order_key`
    # one after another, in stream order (the default: all of them, as one key).
    concurrency: int = 1
    order_key: Callable[[EventEnvelope], str] | None = None
    max_deliver: ClassVar[int] = 20


def redelivery_delay(deliveries: int | None) -> float:
    """Seconds before a failed event is offered again: 1, 2, 4 ... capped at a minute, so the
    `max_deliver` attempts span about a quarter of an hour of a dependency being down."""
    return float(min(2 ** max((deliveries or 1) - 1, 0), 60))


class EventConsumer:
    """Pulls from JetStream and applies each event once per consumer (processed_events table)."""

    def __init__(
        self, broker: Broker, sessionmaker: async_sessionmaker[AsyncSession], sub: Subscription
    ) -> None:
        self.broker = broker
        self.sessionmaker = sessionmaker
        self.sub = sub
        self.applied = 0
        self._stopping = False

    def stop(self) -> None:
        """Ask `run` to return after the fetch in flight."""
        self._stopping = True

    async def apply(self, envelope: EventEnvelope) -> bool:
        """Apply in one transaction with the dedup marker; False when it was already applied."""
        async with self.sessionmaker() as session, session.begin():
            marker = await session.execute(
                pg_insert(processed_events)
                .values(event_id=envelope.id, consumer=self.sub.name)
                .on_conflict_do_nothing()
                .returning(processed_events.c.event_id)
            )
            if marker.first() is None:
                return False
            await self.sub.handler(session, envelope)
        self.applied += 1
        return True

    async def _handle(self, msg: Msg) -> None:
        try:
            envelope = EventEnvelope.model_validate_json(msg.data)
        except ValueError:
            log.error("events.malformed", consumer=self.sub.name, subject=msg.subject)
            await msg.term()
            return
        try:
            await self.apply(envelope)
        except Exception as exc:
            log.warning(
                "events.handler_failed",
                consumer=self.sub.name,
                event_type=envelope.type,
                event_id=str(envelope.id),
                error_type=type(exc).__name__,
            )
            await msg.nak(delay=redelivery_delay(msg.metadata.num_delivered))
            return
        await msg.ack()

    @staticmethod
    async def _next_batch(psub: JetStreamContext.PullSubscription) -> list[Msg]:
        """Wait up to a second for the next event, then take the ones already waiting behind it.

        One `fetch(batch=100, timeout=1)` would hold an event that arrives alone until the second is
        over, waiting for the batch to fill: every idle consumer would add up to a second per hop.
        """
        msgs = await psub.fetch(batch=1, timeout=1)
        with contextlib.suppress(TimeoutError):
            msgs += await psub.fetch(batch=99, timeout=0.05)
        return msgs

    async def _handle_batch(self, msgs: Sequence[Msg]) -> None:
        key = self.sub.order_key
        if self.sub.concurrency <= 1 or key is None:
            for msg in msgs:
                await self._handle(msg)
            return
        lanes: dict[str, list[Msg]] = {}
        for msg in msgs:
            try:
                lane = key(EventEnvelope.model_validate_json(msg.data))
            except (ValueError, KeyError):
                lane = ""  # `_handle` refuses what cannot be read
            lanes.setdefault(lane, []).append(msg)
        slots = asyncio.Semaphore(self.sub.concurrency)

        async def in_order(queue: list[Msg]) -> None:
            async with slots:
                for msg in queue:
                    await self._handle(msg)

        async with asyncio.TaskGroup() as group:
            for queue in lanes.values():
                group.create_task(in_order(queue))

    async def run(self) -> None:
        while not self._stopping:
            try:
                js = await self.broker.jetstream()
                config = ConsumerConfig(
                    durable_name=self.sub.name,
                    filter_subjects=list(self.sub.subjects),
                    ack_policy=AckPolicy.EXPLICIT,
                    deliver_policy=DeliverPolicy.ALL,
                    max_deliver=Subscription.max_deliver,
                    ack_wait=30,
                )
                with contextlib.suppress(Exception):
                    await js.add_consumer(STREAM, config)
                psub = await js.pull_subscribe_bind(self.sub.name, stream=STREAM)
                while not self._stopping:
                    try:
                        msgs = await self._next_batch(psub)
                    except TimeoutError:
                        continue
                    await self._handle_batch(msgs)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("events.consumer_failed", consumer=self.sub.name, error_type=type(exc).__name__)
                await asyncio.sleep(0.5)
