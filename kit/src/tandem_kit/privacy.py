"""Answering access and erasure requests for one person's data (GDPR articles 15 and 17), and
purging what consent's retention policies say has expired.

The consent service opens a request and emits `DataSubjectRequestOpened` naming every service that
holds personal data. Each of those services subscribes with `person_data_subscription`: it runs its
own `export` (access) or `erase` (erasure) in the event's transaction, then sends its receipt to
`POST /api/v1/consent/data-subject-requests/{id}/receipts` before that transaction commits.

Why this is safe to repeat: if the receipt cannot be delivered, the handler fails, the transaction
(and the erasure in it) rolls back and the event is redelivered with backoff. If the receipt was
delivered but the commit failed, the redelivery computes the same receipt again, which consent
accepts as a repeat. A receipt consent already holds in a different form (409) means the request is
answered, so it is logged and the local work commits.

After an erasure a service keeps a keyed hash of the person's id (`erased_people`), never the id, and
deletes its sent outbox rows that name the person. Every other consumer (`skip_erased`) drops an event
that names someone in that record: an event emitted before the erasure and consumed after it would
otherwise put the person's id back (see docs/architecture.md, "Nothing left after erasure").
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import structlog
from pydantic import BaseModel, ConfigDict, SecretStr
from sqlalchemy import Column, DateTime, String, Table, Text, cast, delete, func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.events import EventEnvelope, Subscription, dead_letters, kit_metadata, outbox_messages, typed
from tandem_kit.oauth_client import ServiceClient

log = structlog.get_logger("tandem.privacy")

REQUEST_OPENED = "tandem.consent.DataSubjectRequestOpened"
RECEIPTS = "/api/v1/consent/data-subject-requests/{request_id}/receipts"

# Who was erased, as an HMAC of the person id under the deployment's internal secret: the record
# identifies nobody, yet a consumer holding an event with the id can tell it names an erased person.
erased_people = Table(
    "erased_people",
    kit_metadata,
    Column("person_hash", String(64), primary_key=True),
    Column("erased_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)


def person_hash(person_id: UUID, key: SecretStr) -> str:
    return hmac.new(key.get_secret_value().encode(), person_id.bytes, hashlib.sha256).hexdigest()


# An erasure and an event about the same person never run side by side: the erasure holds the person's
# advisory lock exclusively for its whole transaction, and every guarded consumer takes it shared
# before it checks `erased_people`. Without it, an event (say a `ConsentWithdrawn` that consent sends
# as part of the same erasure) whose check ran before the erasure committed could write the person's
# id back after the erasure had deleted it. Shared locks never wait on each other, so consumers do not
# serialise among themselves. Keyed by the person hash, so the lock names nobody either.
_LOCK_SHARED = text(
    "SELECT pg_advisory_xact_lock_shared(hashtextextended(h, 0)) "
    "FROM unnest(CAST(:hashes AS text[])) AS h ORDER BY h"
)
_LOCK_EXCLUSIVE = text("SELECT pg_advisory_xact_lock(hashtextextended(:hash, 0))")


async def lock_for_erasure(session: AsyncSession, person_id: UUID, *, key: SecretStr) -> None:
    """Take the person's erasure lock for the rest of the transaction: events about them wait."""
    await session.execute(_LOCK_EXCLUSIVE, {"hash": person_hash(person_id, key)})


async def forget_person(session: AsyncSession, person_id: UUID, *, key: SecretStr) -> int:
    """Record the person as erased and delete this service's sent events and parked events that name
    them; returns the outbox rows deleted."""
    await session.execute(
        pg_insert(erased_people).values(person_hash=person_hash(person_id, key)).on_conflict_do_nothing()
    )
    await delete_dead_letters(session, person_id)
    return await delete_sent_events(session, person_id)


async def delete_dead_letters(session: AsyncSession, person_id: UUID) -> int:
    """Delete the parked events that name the person: a replay would drop them anyway (`skip_erased`),
    and their payload is a copy of the person's data."""
    parked = await session.scalars(
        delete(dead_letters)
        .where(cast(dead_letters.c.payload, Text).contains(str(person_id)))
        .returning(dead_letters.c.id)
    )
    return len(parked.all())


async def delete_sent_events(session: AsyncSession, person_id: UUID, *, sparing: Sequence[str] = ()) -> int:
    """Delete this service's outbox rows that were sent and name the person, except those whose subject
    is in `sparing`. Events not yet sent stay: other services still need them (and drop any that names
    someone they erased)."""
    sent = await session.scalars(
        delete(outbox_messages)
        .where(
            outbox_messages.c.published_at.is_not(None),
            cast(outbox_messages.c.payload, Text).contains(str(person_id)),
            outbox_messages.c.subject.not_in(sparing),
        )
        .returning(outbox_messages.c.id)
    )
    return len(sent.all())


def _uuids(value: Any) -> Iterator[UUID]:
    if isinstance(value, str) and len(value) == 36:
        try:
            yield UUID(value)
        except ValueError:
            return
    elif isinstance(value, dict):
        for item in value.values():
            yield from _uuids(item)
    elif isinstance(value, list):
        for item in value:
            yield from _uuids(item)


async def names_erased(session: AsyncSession, data: Mapping[str, Any], *, key: SecretStr) -> bool:
    """Whether any id in the event data is a person this service erased. Waits first for an erasure of
    any of them in flight (`lock_for_erasure`), and holds their locks shared until the transaction ends."""
    hashes = sorted({person_hash(u, key) for u in _uuids(dict(data))})
    if not hashes:
        return False
    await session.execute(_LOCK_SHARED, {"hashes": hashes})
    found = await session.scalar(
        select(erased_people.c.person_hash).where(erased_people.c.person_hash.in_(hashes)).limit(1)
    )
    return found is not None


def skip_erased(sub: Subscription, *, key: SecretStr) -> Subscription:
    """`sub` whose handler drops (applies and records as done, without effect) every event naming a
    person this service erased; subscriptions with `drops_erased=False` are returned unchanged."""
    if not sub.drops_erased:
        return sub
    handler = sub.handler

    async def unless_erased(session: AsyncSession, envelope: EventEnvelope) -> None:
        if await names_erased(session, envelope.data, key=key):
            log.info(
                "privacy.erased_person_event_dropped",
                consumer=sub.name,
                event_type=envelope.type,
                event_id=str(envelope.id),
            )
            return
        await handler(session, envelope)

    return replace(sub, handler=unless_erased)


@dataclass(frozen=True)
class Answer:
    """What a service did for one request: a count, a sentence, and for access the data itself.

    `detail` must depend only on the data (no timestamps), so a repeated run gives the same receipt.
    """

    records: int
    detail: str
    export: dict[str, Any] | None = field(default=None)


PersonDataStep = Callable[[AsyncSession, UUID], Awaitable[Answer]]


class DataSubjectRequestOpened(BaseModel):
    """What a service reads of consent's `DataSubjectRequestOpened` (docs/contracts.md)."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    request_id: UUID
    person_id: UUID
    kind: Literal["access", "erasure"]
    services: list[str]


class RetentionPurgeRequested(BaseModel):
    """Consent's retention run asks `service` to purge `category` as of `cutoff`."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    run_id: UUID | None = None
    category: str
    service: str
    action: str
    cutoff: datetime


class ReceiptNotDelivered(Exception):
    """Consent did not take the receipt; the event is redelivered and the work redone."""


def receipt(service: str, kind: str, answer: Answer) -> dict[str, Any]:
    """The receipt body for consent's receipts endpoint (see docs/contracts.md)."""
    body: dict[str, Any] = {
        "service": service,
        "outcome": "completed" if answer.records else "nothing_held",
        "records": answer.records,
        "detail": answer.detail,
    }
    if kind == "access" and answer.records:
        body["export"] = answer.export if answer.export is not None else {}
    return body


def person_data_subscription(
    *,
    service: str,
    consent: ServiceClient,
    export: PersonDataStep,
    erase: PersonDataStep,
    erasure_key: SecretStr,
) -> Subscription:
    """A durable consumer that answers every access or erasure request listing `service`; an erasure
    also records the person as erased and deletes the service's sent events naming them."""

    async def answer_request(
        session: AsyncSession, _envelope: EventEnvelope, data: DataSubjectRequestOpened
    ) -> None:
        if service not in data.services:
            return
        request_id, kind = str(data.request_id), data.kind
        step = export if kind == "access" else erase
        if kind != "access":
            await lock_for_erasure(session, data.person_id, key=erasure_key)
        answer = await step(session, data.person_id)
        if kind != "access":
            await forget_person(session, data.person_id, key=erasure_key)
        await session.flush()
        response = await consent.request(
            "POST", RECEIPTS.format(request_id=request_id), json=receipt(service, kind, answer)
        )
        if response.status_code in (200, 201):
            log.info("privacy.request_answered", request_id=request_id, kind=kind, records=answer.records)
        elif response.status_code in (404, 409):
            # Unknown request, or one this service already answered differently: nothing to retry.
            log.warning("privacy.receipt_refused", request_id=request_id, status=response.status_code)
        else:
            raise ReceiptNotDelivered(f"consent answered {response.status_code} for request {request_id}")

    return Subscription(
        name=f"{service}-data-subject-requests",
        subjects=[REQUEST_OPENED],
        handler=typed(DataSubjectRequestOpened, answer_request),
        drops_erased=False,
        # Each request waits on consent's answer to its receipt: many people's requests are answered
        # at once, one person's in the order they were opened (an access after an erasure finds nothing).
        concurrency=REQUESTS_AT_ONCE,
        order_key=lambda envelope: str(envelope.data.get("person_id")),
    )


REQUESTS_AT_ONCE = 8  # below the services' database pool (10): each holds a connection while it waits

PURGE_REQUESTED = "tandem.consent.RetentionPurgeRequested"

Purge = Callable[[AsyncSession, datetime, str], Awaitable[int]]
"""`purge(session, cutoff, action)`: delete (`action="delete"`) or de-identify (`"anonymize"`) the
category's records whose retention clock started before `cutoff`; returns how many it touched."""


def retention_subscription(*, service: str, purges: Mapping[str, Purge]) -> Subscription:
    """A durable consumer that purges this service's expired categories when consent's retention run
    asks (`RetentionPurgeRequested`), in the event's transaction: a failed purge is retried."""

    async def purge_category(
        session: AsyncSession, _envelope: EventEnvelope, data: RetentionPurgeRequested
    ) -> None:
        if data.service != service:
            return
        run_id = str(data.run_id) if data.run_id else None
        purge = purges.get(data.category)
        if purge is None:
            # A policy consent knows and this service does not: say so, retrying cannot help.
            log.warning("privacy.retention.unknown_category", category=data.category, run_id=run_id)
            return
        count = await purge(session, data.cutoff, data.action)
        log.info(
            "privacy.retention.purged",
            category=data.category,
            action=data.action,
            records=count,
            run_id=run_id,
        )

    return Subscription(
        name=f"{service}-retention-purges",
        subjects=[PURGE_REQUESTED],
        handler=typed(RetentionPurgeRequested, purge_category),
        drops_erased=False,
    )
