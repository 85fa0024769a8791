"""Domain events: the transactional outbox, the relay to NATS JetStream, and idempotent consumers."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, TypeVar

import nats
import structlog
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StreamConfig
from nats.js.errors import NotFoundError
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    cast,
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
# Events a consumer could not apply: invalid ones at once, failing ones after their delivery budget.
# Parked in the consumer's own database so JetStream's retention cannot drop them (see deadletters.py).
dead_letters = Table(
    "dead_letters",
    kit_metadata,
    Column("id", Uuid, primary_key=True),
    Column("consumer", String(120), nullable=False),
    Column("event_id", Uuid, nullable=False),
    Column("subject", String(200), nullable=False),
    Column("event_type", String(120), nullable=False),
    Column("payload", JSONB, nullable=False),
    Column("reason", String(20), nullable=False),
    Column("error_type", String(200), nullable=False),
    Column("error_summary", String(1000), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("first_failed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("last_failed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("next_attempt_at", DateTime(timezone=True), nullable=True, index=True),
    UniqueConstraint("consumer", "event_id"),
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


async def emit_many(session: AsyncSession, events: Sequence[DomainEvent]) -> list[EventEnvelope]:
    """`emit` for a batch: one multi-row INSERT and one NOTIFY (a bulk write emits hundreds at once)."""
    if not events:
        return []
    now = datetime.now(UTC)
    envelopes: list[EventEnvelope] = []
    for event in events:
        source = type(event).source
        if not source:
            raise ValueError(f"{type(event).__name__} must declare its source service")
        envelopes.append(
            EventEnvelope(
                id=uuid.uuid4(),
                type=type(event).event_type(),
                source=source,
                occurred_at=now,
                data=event.model_dump(mode="json"),
            )
        )
    await session.execute(
        insert(outbox_messages),
        [
            {"id": e.id, "subject": subject_for(e.source, e.type), "payload": e.model_dump(mode="json")}
            for e in envelopes
        ],
    )
    await session.execute(text(f"NOTIFY {NOTIFY_CHANNEL}"))
    return envelopes


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
        self._js: JetStreamContext | None = None

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
        # One context per connection: its asynchronous-publish reply subscription is made once.
        if self._js is None:
            self._js = self.nc.jetstream(timeout=5)
        js = self._js
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


PUBLISH_ACK_SECONDS = 5.0


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
                    # The payload as text: published as stored, never decoded and encoded again.
                    select(
                        outbox_messages.c.id, outbox_messages.c.subject, cast(outbox_messages.c.payload, Text)
                    )
                    .where(outbox_messages.c.published_at.is_(None))
                    .order_by(outbox_messages.c.seq)
                    .limit(self.batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not rows:
                return 0
            # Sent back to back, acknowledged together (no request round trip or task per event);
            # a batch not acknowledged in time stays unpublished and is sent again.
            acks = [
                await js.publish_async(
                    row.subject, row.payload.encode(), headers={"Nats-Msg-Id": str(row.id)}
                )
                for row in rows
            ]
            try:
                async with asyncio.timeout(PUBLISH_ACK_SECONDS):
                    await asyncio.gather(*acks)
            finally:
                for ack in acks:
                    ack.cancel()
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
PayloadT = TypeVar("PayloadT", bound=BaseModel)
TypedHandler = Callable[[AsyncSession, EventEnvelope, PayloadT], Awaitable[None]]

# Why an event is parked: it cannot be applied as it is (parked at once, replayed by hand once the
# code or the data is fixed), or it failed its whole delivery budget (replayed automatically).
INVALID = "invalid"
EXHAUSTED = "exhausted"


class InvalidEvent(Exception):
    """The event cannot be applied as it is: redelivery cannot help, so it is parked at once.

    The message is a summary without personal data: field paths and rule names, never values.
    """


def error_summary(exc: ValidationError) -> str:
    """Where and why a payload failed its model, without the values (they may be personal data)."""
    parts = [f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['type']}" for e in exc.errors()]
    return "; ".join(parts)[:900]


def typed(payload: type[PayloadT], handler: TypedHandler[PayloadT]) -> Handler:
    """A handler given `envelope.data` validated against `payload` by the kit; a payload that does
    not fit is an `InvalidEvent` (parked), never a retry."""

    async def handle(session: AsyncSession, envelope: EventEnvelope) -> None:
        try:
            data = payload.model_validate(envelope.data)
        except ValidationError as exc:
            raise InvalidEvent(f"{payload.__name__}: {error_summary(exc)}") from exc
        await handler(session, envelope, data)

    return handle


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


@dataclass(frozen=True)
class RetryPolicy:
    """How a consumer retries an event whose handler fails.

    Deliveries back off `first_delay`, twice that ... up to `max_delay`; after `park_after` deliveries
    (a quarter of an hour by default) the event is parked in `dead_letters`, from where it is replayed
    every `replay_every` seconds until it applies. JetStream itself never gives up on an event: while
    the park is impossible (the database is what is down) the event stays unacknowledged and comes
    again every `max_delay`.
    """

    park_after: int = 20
    first_delay: float = 1.0
    max_delay: float = 60.0
    replay_every: float = 60.0

    def delay(self, deliveries: int | None) -> float:
        """Seconds before a failed event is offered again after its `deliveries`-th delivery."""
        exponent = min(max((deliveries or 1) - 1, 0), 32)
        return float(min(self.first_delay * 2**exponent, self.max_delay))


@dataclass(frozen=True)
class Failure:
    """Why an event is parked, told without personal data: exception types, field paths, rule names."""

    reason: str
    error_type: str
    summary: str

    @classmethod
    def of(cls, exc: BaseException, *, reason: str) -> Failure:
        if isinstance(exc, InvalidEvent):
            summary = str(exc)
        else:
            # Exception messages may quote data (a constraint's key, a response body): only types.
            causes: list[str] = []
            cause = exc.__cause__ or exc.__context__
            while cause is not None and len(causes) < 5:
                causes.append(type(cause).__name__)
                cause = cause.__cause__ or cause.__context__
            summary = type(exc).__name__ + "".join(f" <- {c}" for c in causes)
        return cls(reason=reason, error_type=type(exc).__name__, summary=summary[:1000])


def letter_values(
    consumer: str, subject: str, data: bytes, envelope: EventEnvelope | None, msg_id: str | None
) -> dict[str, Any]:
    """The identifying columns of a dead letter; an envelope that did not parse is kept as received."""
    if envelope is not None:
        return {
            "consumer": consumer,
            "event_id": envelope.id,
            "subject": subject,
            "event_type": envelope.type[:120],
            "payload": envelope.model_dump(mode="json"),
        }
    try:
        raw: Any = json.loads(data)
    except ValueError:
        raw = None
    if not isinstance(raw, dict):
        raw = {"raw": data.decode("utf-8", errors="replace")}
    try:
        event_id = uuid.UUID(str(raw.get("id") or msg_id))
    except ValueError:
        event_id = uuid.uuid5(uuid.NAMESPACE_OID, f"{subject}:{data.hex()}")
    kind = raw.get("type")
    return {
        "consumer": consumer,
        "event_id": event_id,
        "subject": subject,
        "event_type": kind[:120] if isinstance(kind, str) else "unknown",
        "payload": raw,
    }


async def park(
    session: AsyncSession, values: dict[str, Any], failure: Failure, *, attempts: int, policy: RetryPolicy
) -> None:
    """Record (or refresh) a dead letter in the caller's transaction."""
    next_attempt = None if failure.reason == INVALID else func.now() + timedelta(seconds=policy.replay_every)
    statement = pg_insert(dead_letters).values(
        id=uuid.uuid4(),
        **values,
        reason=failure.reason,
        error_type=failure.error_type,
        error_summary=failure.summary,
        attempts=attempts,
        next_attempt_at=next_attempt,
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[dead_letters.c.consumer, dead_letters.c.event_id],
            set_={
                "reason": statement.excluded.reason,
                "error_type": statement.excluded.error_type,
                "error_summary": statement.excluded.error_summary,
                "attempts": func.greatest(dead_letters.c.attempts + 1, statement.excluded.attempts),
                "last_failed_at": func.now(),
                "next_attempt_at": statement.excluded.next_attempt_at,
            },
        )
    )


class EventConsumer:
    """Pulls from JetStream and applies each event once per consumer (processed_events table).

    An event that cannot be applied is never dropped: it is retried, then parked in the consumer's
    own `dead_letters` table (see `RetryPolicy`), and acknowledged only once it is applied or parked.
    """

    def __init__(
        self,
        broker: Broker,
        sessionmaker: async_sessionmaker[AsyncSession],
        sub: Subscription,
        *,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.broker = broker
        self.sessionmaker = sessionmaker
        self.sub = sub
        self.policy = policy or RetryPolicy()
        self.applied = 0
        self.parked: dict[str, int] = {INVALID: 0, EXHAUSTED: 0}
        self.park_failures = 0
        self._stopping = False

    def stop(self) -> None:
        """Ask `run` to return after the fetch in flight."""
        self._stopping = True

    async def apply(self, envelope: EventEnvelope) -> bool:
        """Apply in one transaction with the dedup marker; False when it was already applied."""
        async with self.sessionmaker() as session, session.begin():
            applied = await self.apply_in(session, envelope)
        if applied:
            self.applied += 1
        return applied

    async def apply_in(self, session: AsyncSession, envelope: EventEnvelope) -> bool:
        """Apply inside the caller's transaction (a live delivery or a replay); False when already applied."""
        marker = await session.execute(
            pg_insert(processed_events)
            .values(event_id=envelope.id, consumer=self.sub.name)
            .on_conflict_do_nothing()
            .returning(processed_events.c.event_id)
        )
        if marker.first() is None:
            return False
        await self.sub.handler(session, envelope)
        return True

    async def _handle(self, msg: Msg) -> None:
        deliveries = msg.metadata.num_delivered or 1
        try:
            envelope = EventEnvelope.model_validate_json(msg.data)
        except ValidationError as exc:
            invalid = InvalidEvent(f"EventEnvelope: {error_summary(exc)}")
            await self._park(msg, None, Failure.of(invalid, reason=INVALID))
            return
        try:
            await self.apply(envelope)
        except InvalidEvent as exc:
            await self._park(msg, envelope, Failure.of(exc, reason=INVALID))
            return
        except Exception as exc:
            log.warning(
                "events.handler_failed",
                consumer=self.sub.name,
                event_type=envelope.type,
                event_id=str(envelope.id),
                error_type=type(exc).__name__,
                deliveries=deliveries,
            )
            if deliveries < self.policy.park_after:
                await msg.nak(delay=self.policy.delay(deliveries))
            else:
                await self._park(msg, envelope, Failure.of(exc, reason=EXHAUSTED))
            return
        await msg.ack()

    async def _park(self, msg: Msg, envelope: EventEnvelope | None, failure: Failure) -> None:
        headers = msg.headers or {}
        values = letter_values(self.sub.name, msg.subject, msg.data, envelope, headers.get("Nats-Msg-Id"))
        try:
            async with self.sessionmaker() as session, session.begin():
                await park(
                    session, values, failure, attempts=msg.metadata.num_delivered or 1, policy=self.policy
                )
        except Exception as exc:
            # The park needs the database that may be what is down: leave the event to JetStream,
            # which has no delivery limit, and try again (the handler first) after the longest back-off.
            self.park_failures += 1
            log.error(
                "events.park_failed",
                consumer=self.sub.name,
                event_id=str(values["event_id"]),
                error_type=type(exc).__name__,
            )
            await msg.nak(delay=self.policy.max_delay)
            return
        self.parked[failure.reason] += 1
        log.error(
            "events.parked",
            consumer=self.sub.name,
            event_type=values["event_type"],
            event_id=str(values["event_id"]),
            reason=failure.reason,
            error_type=failure.error_type,
        )
        await msg.ack()

    @staticmethod
    async def _next_batch(psub: JetStreamContext.PullSubscription) -> list[Msg]:
        """Wait up to a second for the next event, then take the ones the stream says are waiting.

        One `fetch(batch=100, timeout=1)` would hold an event that arrives alone until the second is
        over, waiting for the batch to fill: every idle consumer would add up to a second per hop. And
        no fetch with a timeout of milliseconds: nats-py waits with `asyncio.wait_for`, which can lose
        a message arriving just as the timeout fires (Python 3.11), and a lost delivery comes back
        only after `ack_wait` (30 s). The second fetch asks only for what is already waiting, which
        the server answers at once.
        """
        msgs = await psub.fetch(batch=1, timeout=1)
        waiting = msgs[0].metadata.num_pending or 0
        if waiting:
            with contextlib.suppress(TimeoutError):
                msgs += await psub.fetch(batch=min(99, waiting), timeout=1)
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
                    max_deliver=-1,  # never dropped by JetStream: see RetryPolicy
                    ack_wait=30,
                )
                with contextlib.suppress(Exception):
                    await js.add_consumer(STREAM, config)
                psub = await js.pull_subscribe_bind(self.sub.name, stream=STREAM)
                try:
                    while not self._stopping:
                        try:
                            msgs = await self._next_batch(psub)
                        except TimeoutError:
                            continue
                        await self._handle_batch(msgs)
                finally:
                    # A subscription left behind keeps the connection's drain waiting out its timeout
                    # (2 s) at every shutdown.
                    with contextlib.suppress(Exception):
                        await psub.unsubscribe()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("events.consumer_failed", consumer=self.sub.name, error_type=type(exc).__name__)
                await asyncio.sleep(0.5)
