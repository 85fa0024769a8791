import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import msgspec
import structlog
from fastapi.exceptions import RequestValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_analytics.models import Vendor
from tandem_analytics.settings import Settings
from tandem_analytics.telemetry import domain, repository
from tandem_analytics.telemetry.schemas import (
    DROPPED_NO_SHARING,
    IngestResult,
    VendorBatchItem,
    VendorEvent,
    WireItem,
    parse_batch,
    parse_event,
)
from tandem_analytics.vendor_platform import service as vendor_service
from tandem_kit.auth import Principal
from tandem_kit.errors import Unauthorized

log = structlog.get_logger("tandem.analytics.telemetry")

MAX_WEBHOOK_ID = 200


class SignatureInvalid(Unauthorized):
    code, title = "webhook-signature-invalid", "Webhook signature invalid"


async def verified_vendor(
    session: AsyncSession,
    principal: Principal,
    vendor_id: UUID,
    headers: domain.WebhookHeaders,
    body: bytes,
    *,
    settings: Settings,
) -> tuple[Vendor, int]:
    vendor = await vendor_service.get_pushable_vendor(session, principal, vendor_id)
    secret = vendor_service.webhook_secret(vendor, settings=settings)
    try:
        timestamp = domain.verify(
            secret, headers, body, now=time.time(), tolerance=settings.webhook_tolerance_seconds
        )
    except domain.SignatureError as exc:
        log.info("analytics.telemetry.signature_refused", vendor_id=str(vendor_id), reason=exc.reason)
        raise SignatureInvalid(exc.reason) from exc
    assert headers.id is not None
    if len(headers.id) > MAX_WEBHOOK_ID:
        raise RequestValidationError(
            [{"type": "too_long", "loc": ("header", "webhook-id"), "msg": "at most 200 characters"}]
        )
    return vendor, timestamp


MESSAGE_FIELDS = {"type", "timestamp", "data"}


def _message(message_id: str, event: VendorEvent) -> dict[str, Any]:
    """A message validated by pydantic, in the shape the ingest statement reads (the wire shape)."""
    return {"id": message_id, **event.model_dump(include=MESSAGE_FIELDS)}


def _document(events: Sequence[VendorBatchItem | WireItem]) -> bytes:
    """The batch as the ingest statement reads it: one JSON array (msgspec encodes the decoded
    structs back in C; a batch that needed the slow path is converted from its pydantic models)."""
    return msgspec.json.encode([e if isinstance(e, WireItem) else _message(e.id, e) for e in events])


async def ingest_event(
    session: AsyncSession,
    principal: Principal,
    vendor_id: UUID,
    *,
    headers: domain.WebhookHeaders,
    body: bytes,
    settings: Settings,
) -> IngestResult:
    """Verify, validate and store one vendor message, at most once per webhook id, and only while
    the participant lets vendors share data about them (`vendor_sharing`)."""
    vendor, timestamp = await verified_vendor(session, principal, vendor_id, headers, body, settings=settings)
    assert headers.id is not None
    event = parse_event(body)
    sent_at = datetime.fromtimestamp(timestamp, UTC)
    document = msgspec.json.encode([_message(headers.id, event)])
    outcome = await repository.insert_batch(session, vendor.id, document, sent_at=sent_at)
    if outcome.dropped:
        # Counted in the log by vendor and reason; never the person.
        log.info("analytics.telemetry.dropped", vendor_id=str(vendor.id), reason=DROPPED_NO_SHARING, count=1)
        return IngestResult(id=headers.id, duplicate=False, received_at=None, dropped=DROPPED_NO_SHARING)
    duplicate = bool(outcome.known)
    received = await repository.received_at(session, vendor.id, headers.id)
    assert received is not None
    log.info(
        "analytics.telemetry.received",
        vendor_id=str(vendor.id),
        webhook_id=headers.id,
        type=event.type,
        duplicate=duplicate,
    )
    return IngestResult(id=headers.id, duplicate=duplicate, received_at=received)


async def ingest_batch(
    session: AsyncSession,
    principal: Principal,
    vendor_id: UUID,
    *,
    headers: domain.WebhookHeaders,
    body: bytes,
    settings: Settings,
    minimal: bool = False,
) -> dict[str, Any]:
    """One signature over the whole batch; each item stored at most once per item id, and only while
    its participant grants `vendor_sharing`. One statement stores the batch (see the repository).

    Returns the `BatchResult` document; `minimal` (`Prefer: return=minimal`) lists only the items
    that were not accepted."""
    vendor, timestamp = await verified_vendor(session, principal, vendor_id, headers, body, settings=settings)
    items = parse_batch(body, max_items=settings.batch_max_items)
    sent_at = datetime.fromtimestamp(timestamp, UTC)
    valid = [item.event for item in items if item.event is not None]
    outcome = await repository.insert_batch(session, vendor.id, _document(valid), sent_at=sent_at)
    # Plain dicts in `BatchItemResult`'s shape, serialized once (a thousand models cost more).
    counts = {"accepted": 0, "duplicate": 0, "rejected": 0, "dropped": 0}
    results: list[dict[str, Any]] = []
    seen: set[str] = set()
    position = -1  # in the document: the valid items
    for item in items:
        reason = errors = None
        if item.event is None:
            status, errors = "rejected", item.errors
        elif (position := position + 1) in outcome.dropped:
            status, reason = "dropped", DROPPED_NO_SHARING
        elif position in outcome.known or item.event.id in seen:
            # A later copy of the same id in this batch is a duplicate of the first one.
            status = "duplicate"
        else:
            seen.add(item.event.id)
            status = "accepted"
        counts[status] += 1
        if not (minimal and status == "accepted"):
            results.append(
                {"index": item.index, "id": item.id, "status": status, "reason": reason, "errors": errors}
            )
    log.info(
        "analytics.telemetry.batch_received",
        vendor_id=str(vendor.id),
        **{k: v for k, v in counts.items() if v},
    )
    if counts["dropped"]:
        log.info(
            "analytics.telemetry.dropped",
            vendor_id=str(vendor.id),
            reason=DROPPED_NO_SHARING,
            count=counts["dropped"],
        )
    return {
        "accepted": counts["accepted"],
        "duplicates": counts["duplicate"],
        "rejected": counts["rejected"],
        "dropped": counts["dropped"],
        "results": results,
    }
