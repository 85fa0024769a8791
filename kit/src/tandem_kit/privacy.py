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
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import structlog
from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.events import EventEnvelope, Subscription, typed
from tandem_kit.oauth_client import ServiceClient

log = structlog.get_logger("tandem.privacy")

REQUEST_OPENED = "tandem.consent.DataSubjectRequestOpened"
RECEIPTS = "/api/v1/consent/data-subject-requests/{request_id}/receipts"


@dataclass(frozen=True)
class Answer:
    """What a service did for one request: a count, a sentence, and for access the data itself.

    `detail` must depend only on the data (no timestamps), so a repeated run gives the same receipt.
    """

    records: int
    detail: str
    export: dict[str, Any] | None = field(default=None)


PersonDataStep = Callable[[AsyncSession, UUID], Awaitable[Answer]]


class RequestOpened(BaseModel):
    """The part of `DataSubjectRequestOpened` a service needs (docs/contracts.md)."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    request_id: UUID
    person_id: UUID
    kind: Literal["access", "erasure"]
    services: list[str]


class PurgeRequested(BaseModel):
    """`RetentionPurgeRequested`: purge `category` for `service`, as of `cutoff`."""

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
    *, service: str, consent: ServiceClient, export: PersonDataStep, erase: PersonDataStep
) -> Subscription:
    """A durable consumer that answers every access or erasure request listing `service`."""

    async def answer_request(session: AsyncSession, _envelope: EventEnvelope, data: RequestOpened) -> None:
        if service not in data.services:
            return
        request_id, kind = str(data.request_id), data.kind
        step = export if kind == "access" else erase
        answer = await step(session, data.person_id)
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
        handler=typed(RequestOpened, answer_request),
    )


PURGE_REQUESTED = "tandem.consent.RetentionPurgeRequested"

Purge = Callable[[AsyncSession, datetime, str], Awaitable[int]]
"""`purge(session, cutoff, action)`: delete (`action="delete"`) or de-identify (`"anonymize"`) the
category's records whose retention clock started before `cutoff`; returns how many it touched."""


def retention_subscription(*, service: str, purges: Mapping[str, Purge]) -> Subscription:
    """A durable consumer that purges this service's expired categories when consent's retention run
    asks (`RetentionPurgeRequested`), in the event's transaction: a failed purge is retried."""

    async def purge_category(session: AsyncSession, _envelope: EventEnvelope, data: PurgeRequested) -> None:
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
        handler=typed(PurgeRequested, purge_category),
    )
