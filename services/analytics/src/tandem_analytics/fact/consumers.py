"""Consumers of matching and scheduling events: each event becomes (or updates) a fact row.

Applied once per event id by the kit (processed_events); the upserts are idempotent as well, so a
replay with a new id is harmless too. Each payload is validated by the kit (`typed`): one that does
not fit its model is parked at once in `dead_letters`, never retried. Each subscription reads its events in stream order, yet the
facts do not depend on it: a cancellation or a match's end applied before the booking or approval
it refers to leaves a row that the later event completes, keeping the end.
"""

from collections.abc import Awaitable, Callable

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_analytics.fact import repository, schemas
from tandem_kit.events import EventEnvelope, Subscription, typed

log = structlog.get_logger("tandem.analytics.fact")


async def on_provider_registered(
    session: AsyncSession, envelope: EventEnvelope, data: schemas.ProviderRegistered
) -> None:
    await repository.upsert_provider(session, {**data.model_dump(), "registered_at": envelope.occurred_at})


async def on_match_approved(
    session: AsyncSession, _envelope: EventEnvelope, data: schemas.MatchApproved
) -> None:
    await repository.upsert_match(session, data.model_dump())


async def on_match_ended(session: AsyncSession, _envelope: EventEnvelope, data: schemas.MatchEnded) -> None:
    values = data.model_dump(exclude={"reason"})
    await repository.mark_match_ended(session, {**values, "end_reason": data.reason})


async def on_engagement_created(
    session: AsyncSession, envelope: EventEnvelope, data: schemas.EngagementCreated
) -> None:
    await repository.upsert_engagement(session, {**data.model_dump(), "created_at": envelope.occurred_at})


async def on_session_booked(
    session: AsyncSession, envelope: EventEnvelope, data: schemas.SessionBooked
) -> None:
    await repository.upsert_booked_session(session, {**data.model_dump(), "booked_at": envelope.occurred_at})


async def on_session_cancelled(
    session: AsyncSession, envelope: EventEnvelope, data: schemas.SessionCancelled
) -> None:
    await repository.mark_session_cancelled(
        session,
        session_id=data.session_id,
        engagement_id=data.engagement_id,
        cancelled_at=envelope.occurred_at,
    )


async def on_sla_breached(session: AsyncSession, _envelope: EventEnvelope, data: schemas.SlaBreached) -> None:
    await repository.upsert_sla_breach(session, data.model_dump())


Handler = Callable[[AsyncSession, EventEnvelope], Awaitable[None]]


def dispatcher(handlers: dict[str, Handler]) -> Handler:
    async def handle(session: AsyncSession, envelope: EventEnvelope) -> None:
        handler = handlers.get(envelope.type)
        if handler is None:
            log.warning("analytics.fact.unexpected_event", event_type=envelope.type)
            return
        await handler(session, envelope)

    return handle


MATCHING_HANDLERS: dict[str, Handler] = {
    "ProviderRegistered": typed(schemas.ProviderRegistered, on_provider_registered),
    "MatchApproved": typed(schemas.MatchApproved, on_match_approved),
    "MatchEnded": typed(schemas.MatchEnded, on_match_ended),
}
SCHEDULING_HANDLERS: dict[str, Handler] = {
    "EngagementCreated": typed(schemas.EngagementCreated, on_engagement_created),
    "SessionBooked": typed(schemas.SessionBooked, on_session_booked),
    "SessionCancelled": typed(schemas.SessionCancelled, on_session_cancelled),
    "SlaBreached": typed(schemas.SlaBreached, on_sla_breached),
}

matching_facts = Subscription(
    name="analytics-matching-facts",
    subjects=[f"tandem.matching.{t}" for t in MATCHING_HANDLERS],
    handler=dispatcher(MATCHING_HANDLERS),
)
scheduling_facts = Subscription(
    name="analytics-scheduling-facts",
    subjects=[f"tandem.scheduling.{t}" for t in SCHEDULING_HANDLERS],
    handler=dispatcher(SCHEDULING_HANDLERS),
)
SUBSCRIPTIONS = [matching_facts, scheduling_facts]
