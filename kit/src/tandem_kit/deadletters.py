"""Parked events: what operations see and replay, the automatic replay, and the `tandem_dead_letters` metric.

A consumer parks an event in its own database's `dead_letters` table when the event is invalid (at
once) or has failed its whole delivery budget (see `tandem_kit.events.RetryPolicy`). A replay runs
the consumer's handler in one transaction with the event's dedup marker and the removal of the
parked row, so it is as safe to repeat as a delivery: an event applied meanwhile is just unparked.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal

import structlog
from fastapi import APIRouter, Depends, Query, Request, Response, status
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tandem_kit.auth import Authenticator, Principal
from tandem_kit.db import SessionDep
from tandem_kit.errors import Conflict, NotFound
from tandem_kit.events import (
    EXHAUSTED,
    INVALID,
    EventConsumer,
    EventEnvelope,
    Failure,
    InvalidEvent,
    dead_letters,
    error_summary,
)
from tandem_kit.fields import Text
from tandem_kit.openapi import problems
from tandem_kit.pagination import Page, PageParams, PageQuery

log = structlog.get_logger("tandem.events.dead_letters")

# Replaying or discarding an event is operations' business, in every service.
OPS_SCOPE = "admin"
OpsAdmin = Annotated[Principal, Depends(Authenticator(scopes={OPS_SCOPE}))]


class DeadLetterNotFound(NotFound):
    code, title = "dead-letter-not-found", "Dead letter not found"


class DeadLetterBusy(Conflict):
    code, title = "dead-letter-busy", "The event is being replayed"


class UnknownConsumer(Conflict):
    code, title = "unknown-consumer", "No such consumer runs here"


class ReplayFailed(Conflict):
    code, title = "dead-letter-replay-failed", "The event still fails"


class Reason(StrEnum):
    INVALID = INVALID
    EXHAUSTED = EXHAUSTED


class DeadLetter(BaseModel):
    id: uuid.UUID = Field(description="Dead letter id (replay and discard use it).")
    consumer: str = Field(description="The subscription that could not apply the event.")
    event_id: uuid.UUID = Field(description="The event's id.")
    subject: str = Field(description="The broker subject it came on.")
    event_type: str = Field(description="Event type, e.g. MatchApproved (`unknown` if unreadable).")
    reason: Reason = Field(
        description="`invalid`: cannot be applied as it is, replay by hand once fixed; `exhausted`: "
        "failed its delivery budget, replayed automatically until it applies."
    )
    error_type: str = Field(description="Type of the last error.")
    error_summary: str = Field(description="The last error without personal data (types, field paths).")
    attempts: int = Field(description="Deliveries and replays tried so far.")
    first_failed_at: datetime = Field(description="When it was parked.")
    last_failed_at: datetime = Field(description="When it last failed.")
    next_attempt_at: datetime | None = Field(
        description="When the automatic replay tries it next (none for invalid events)."
    )


class DeadLetterDetail(DeadLetter):
    payload: dict[str, Any] = Field(description="The event as received (it may hold personal data).")


class ReplayResult(BaseModel):
    id: uuid.UUID = Field(description="The dead letter replayed (it no longer exists).")
    event_id: uuid.UUID = Field(description="The event's id.")
    outcome: Literal["applied", "already_applied"] = Field(
        description="`applied` now, or `already_applied` by a delivery or replay meanwhile."
    )


def listing_statement(*, consumer: str | None, reason: Reason | None) -> Select[Any]:
    statement = select(dead_letters).order_by(dead_letters.c.first_failed_at, dead_letters.c.id)
    if consumer is not None:
        statement = statement.where(dead_letters.c.consumer == consumer)
    if reason is not None:
        statement = statement.where(dead_letters.c.reason == reason.value)
    return statement


async def page(
    session: AsyncSession, params: PageParams, *, consumer: str | None, reason: Reason | None
) -> Page[DeadLetter]:
    statement = listing_statement(consumer=consumer, reason=reason)
    total = await session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    rows = (await session.execute(statement.limit(params.limit).offset(params.offset))).all()
    return Page[DeadLetter](
        items=[DeadLetter.model_validate(r, from_attributes=True) for r in rows],
        total=int(total or 0),
        limit=params.limit,
        offset=params.offset,
    )


async def get(session: AsyncSession, letter_id: uuid.UUID) -> DeadLetterDetail:
    row = (await session.execute(select(dead_letters).where(dead_letters.c.id == letter_id))).first()
    if row is None:
        raise DeadLetterNotFound(f"No dead letter {letter_id}.")
    return DeadLetterDetail.model_validate(row, from_attributes=True)


async def discard(session: AsyncSession, letter_id: uuid.UUID) -> uuid.UUID:
    """Remove a parked event for good; returns its event id."""
    removed = await session.execute(
        delete(dead_letters).where(dead_letters.c.id == letter_id).returning(dead_letters.c.event_id)
    )
    event_id: uuid.UUID | None = removed.scalar_one_or_none()
    if event_id is None:
        raise DeadLetterNotFound(f"No dead letter {letter_id}.")
    return event_id


async def counts(session: AsyncSession) -> dict[tuple[str, str], int]:
    """Parked events per (consumer, reason)."""
    rows = await session.execute(
        select(dead_letters.c.consumer, dead_letters.c.reason, func.count()).group_by(
            dead_letters.c.consumer, dead_letters.c.reason
        )
    )
    return {(c, r): int(n) for c, r, n in rows.tuples()}


async def replay(
    sessionmaker: async_sessionmaker[AsyncSession],
    consumers: Mapping[str, EventConsumer],
    letter_id: uuid.UUID,
) -> ReplayResult:
    """Apply a parked event through its consumer and unpark it, in one transaction; on failure the
    row records the attempt (and, for an exhausted one, when the automatic replay tries next)."""
    row: Any = None
    async with sessionmaker() as session:
        try:
            async with session.begin():
                row = (
                    await session.execute(
                        select(dead_letters)
                        .where(dead_letters.c.id == letter_id)
                        .with_for_update(skip_locked=True)
                    )
                ).first()
                if row is None:
                    exists = await session.scalar(
                        select(dead_letters.c.id).where(dead_letters.c.id == letter_id)
                    )
                    if exists is None:
                        raise DeadLetterNotFound(f"No dead letter {letter_id}.")
                    raise DeadLetterBusy("Another replay of this event is in progress.")
                consumer = consumers.get(row.consumer)
                if consumer is None:
                    raise UnknownConsumer(f"No consumer {row.consumer!r} runs in this service.")
                try:
                    envelope = EventEnvelope.model_validate(row.payload)
                except ValidationError as exc:
                    raise InvalidEvent(f"EventEnvelope: {error_summary(exc)}") from exc
                applied = await consumer.apply_in(session, envelope)
                await session.execute(delete(dead_letters).where(dead_letters.c.id == letter_id))
        except (DeadLetterNotFound, DeadLetterBusy, UnknownConsumer):
            raise
        except Exception as exc:
            if row is None:
                raise  # the database itself failed before the event was read
            reason = INVALID if isinstance(exc, InvalidEvent) else row.reason
            failure = Failure.of(exc, reason=reason)
            await _record_failure(sessionmaker, letter_id, failure, consumers[row.consumer])
            log.warning(
                "events.dead_letter.replay_failed",
                consumer=row.consumer,
                event_id=str(row.event_id),
                error_type=failure.error_type,
            )
            raise ReplayFailed(
                f"The event still fails: {failure.summary}.",
                error_type=failure.error_type,
                attempts=row.attempts + 1,
            ) from exc
    outcome: Literal["applied", "already_applied"] = "applied" if applied else "already_applied"
    if applied:
        consumer.applied += 1
    log.info(
        "events.dead_letter.replayed", consumer=row.consumer, event_id=str(row.event_id), outcome=outcome
    )
    return ReplayResult(id=letter_id, event_id=row.event_id, outcome=outcome)


async def _record_failure(
    sessionmaker: async_sessionmaker[AsyncSession],
    letter_id: uuid.UUID,
    failure: Failure,
    consumer: EventConsumer,
) -> None:
    delay = consumer.policy.replay_every
    async with sessionmaker() as session, session.begin():
        await session.execute(
            update(dead_letters)
            .where(dead_letters.c.id == letter_id)
            .values(
                reason=failure.reason,
                error_type=failure.error_type,
                error_summary=failure.summary,
                attempts=dead_letters.c.attempts + 1,
                last_failed_at=func.now(),
                next_attempt_at=None if failure.reason == INVALID else func.now() + timedelta(seconds=delay),
            )
        )


class Replayer:
    """Replays exhausted events once they are due (the dependency they waited for is probably back)
    and keeps the per-consumer counts the `tandem_dead_letters` gauge shows."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        consumers: Sequence[EventConsumer],
        *,
        batch_size: int = 50,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.consumers = {c.sub.name: c for c in consumers}
        self.batch_size = batch_size
        self.counts: dict[tuple[str, str], int] = {}

    async def refresh(self) -> dict[tuple[str, str], int]:
        async with self.sessionmaker() as session:
            self.counts = await counts(session)
        return self.counts

    async def replay_due(self) -> int:
        """One round: replay the exhausted events whose time has come; how many applied."""
        async with self.sessionmaker() as session:
            due = (
                await session.scalars(
                    select(dead_letters.c.id)
                    .where(
                        dead_letters.c.reason == EXHAUSTED,
                        dead_letters.c.next_attempt_at <= func.now(),
                        dead_letters.c.consumer.in_(list(self.consumers)),
                    )
                    .order_by(dead_letters.c.next_attempt_at)
                    .limit(self.batch_size)
                )
            ).all()
        applied = 0
        for letter_id in due:
            try:
                await replay(self.sessionmaker, self.consumers, letter_id)
            except (ReplayFailed, DeadLetterBusy, DeadLetterNotFound):
                continue
            applied += 1
        return applied

    async def run_once(self) -> int:
        applied = await self.replay_due()
        await self.refresh()
        return applied


class DeadLetterCollector(Collector):
    """`tandem_dead_letters{consumer,reason}` (parked now, as of the replayer's last round) and the
    counters of events parked and of parks that failed (the database was down) since start."""

    def __init__(self, state: Any) -> None:
        self.state = state  # the app's state: the replayer and consumers exist while it runs

    def collect(self) -> Iterator[Metric]:
        replayer: Replayer | None = getattr(self.state, "dead_letters", None)
        counts_now = replayer.counts if replayer is not None else {}
        consumers: Sequence[EventConsumer] = getattr(self.state, "consumers", ())
        parked_now = GaugeMetricFamily(
            "tandem_dead_letters",
            "Events parked in this service's dead_letters table",
            labels=["consumer", "reason"],
        )
        for (consumer, reason), count in sorted(counts_now.items()):
            parked_now.add_metric([consumer, reason], count)
        parked = CounterMetricFamily(
            "tandem_dead_letters_parked", "Events parked since start", labels=["consumer", "reason"]
        )
        park_failed = CounterMetricFamily(
            "tandem_dead_letter_park_failures",
            "Parks that failed (the consumer's database was down); the event stays in the broker",
            labels=["consumer"],
        )
        for c in consumers:
            for reason, count in sorted(c.parked.items()):
                parked.add_metric([c.sub.name, reason], count)
            park_failed.add_metric([c.sub.name], c.park_failures)
        yield parked_now
        yield parked
        yield park_failed


def _replayer(request: Request) -> Replayer:
    replayer: Replayer = request.app.state.dead_letters
    return replayer


router = APIRouter(prefix="/admin/dead-letters", tags=["dead-letters"])


@router.get("", response_model=Page[DeadLetter])
async def list_dead_letters(
    _principal: OpsAdmin,
    session: SessionDep,
    params: PageQuery,
    consumer: Text | None = Query(default=None, description="Only this consumer's parked events."),
    reason: Reason | None = Query(default=None, description="Only events parked for this reason."),
) -> Page[DeadLetter]:
    """List parked events, oldest first."""
    return await page(session, params, consumer=consumer, reason=reason)


@router.get("/{letter_id}", response_model=DeadLetterDetail, responses=problems(DeadLetterNotFound))
async def get_dead_letter(
    letter_id: uuid.UUID, _principal: OpsAdmin, session: SessionDep
) -> DeadLetterDetail:
    """One parked event, with its payload."""
    return await get(session, letter_id)


@router.post(
    "/{letter_id}/replay",
    response_model=ReplayResult,
    responses=problems(DeadLetterNotFound, DeadLetterBusy, UnknownConsumer, ReplayFailed),
)
async def replay_dead_letter(letter_id: uuid.UUID, principal: OpsAdmin, request: Request) -> ReplayResult:
    """Apply a parked event now; 409 with the error when it still fails (it stays parked)."""
    log.info("events.dead_letter.replay_requested", dead_letter_id=str(letter_id), by=principal.subject)
    replayer = _replayer(request)
    result = await replay(request.app.state.sessionmaker, replayer.consumers, letter_id)
    await replayer.refresh()
    return result


@router.delete("/{letter_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problems(DeadLetterNotFound))
async def discard_dead_letter(letter_id: uuid.UUID, principal: OpsAdmin, session: SessionDep) -> Response:
    """Give up on a parked event for good (an invalid event nobody can fix); logged with who did it."""
    event_id = await discard(session, letter_id)
    log.warning("events.dead_letter.discarded", event_id=str(event_id), by=principal.subject)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
