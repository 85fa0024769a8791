import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import structlog
from fastapi.exceptions import RequestValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_analytics.models import Vendor
from tandem_analytics.settings import Settings
from tandem_analytics.telemetry import domain, repository
from tandem_analytics.telemetry.schemas import (
    DROPPED_NO_SHARING,
    BatchResult,
    IngestResult,
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


def person_key(value: UUID | str) -> str:
    """A person id as one text form, whichever way it was parsed (`WireItem` keeps text)."""
    return str(value).lower()


def _row(webhook_id: str, event: VendorEvent | WireItem, *, sent_at: datetime) -> dict[str, Any]:
    data = event.data
    return {
        "webhook_id": webhook_id,
        "type": event.type,
        "occurred_at": event.timestamp or sent_at,
        "vendor_session_id": data.vendor_session_id,
        "session_id": data.session_id,
        "engagement_id": data.engagement_id,
        "match_id": data.match_id,
        "participant_id": data.participant_id,
        "provider_id": data.provider_id,
        "started_at": data.started_at,
        "duration_minutes": data.duration_minutes,
        "rating": data.rating,
    }


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
    if not await repository.sharing(session, [event.data.participant_id]):
        # Counted in the log by vendor and reason; never the person.
        log.info("analytics.telemetry.dropped", vendor_id=str(vendor.id), reason=DROPPED_NO_SHARING, count=1)
        return IngestResult(id=headers.id, duplicate=False, received_at=None, dropped=DROPPED_NO_SHARING)
    sent_at = datetime.fromtimestamp(timestamp, UTC)
    inserted = await repository.insert_new(session, vendor.id, [_row(headers.id, event, sent_at=sent_at)])
    duplicate = headers.id not in inserted
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
) -> BatchResult:
    """One signature over the whole batch; each item stored at most once per item id, and only while
    its participant grants `vendor_sharing`. One statement stores the batch (see the repository)."""
    vendor, timestamp = await verified_vendor(session, principal, vendor_id, headers, body, settings=settings)
    items = parse_batch(body, max_items=settings.batch_max_items)
    sent_at = datetime.fromtimestamp(timestamp, UTC)
    keys = {
        item.index: person_key(item.event.data.participant_id) for item in items if item.event is not None
    }
    sharing = {
        person_key(p) for p in await repository.sharing(session, [UUID(k) for k in set(keys.values())])
    }
    rows = [
        _row(item.event.id, item.event, sent_at=sent_at)
        for item in items
        if item.event is not None and keys[item.index] in sharing
    ]
    inserted = await repository.insert_new(session, vendor.id, rows)
    # Plain dicts, validated once into the answer (a thousand models built one by one cost more).
    results: list[dict[str, Any]] = []
    for item in items:
        if item.event is None:
            results.append({"index": item.index, "id": item.id, "status": "rejected", "errors": item.errors})
        elif keys[item.index] not in sharing:
            results.append(
                {"index": item.index, "id": item.id, "status": "dropped", "reason": DROPPED_NO_SHARING}
            )
        elif item.event.id in inserted:
            # A later copy of the same id in this batch is a duplicate of the first one.
            inserted.discard(item.event.id)
            results.append({"index": item.index, "id": item.id, "status": "accepted"})
        else:
            results.append({"index": item.index, "id": item.id, "status": "duplicate"})
    counts = Counter(r["status"] for r in results)
    log.info("analytics.telemetry.batch_received", vendor_id=str(vendor.id), **counts)
    if counts["dropped"]:
        log.info(
            "analytics.telemetry.dropped",
            vendor_id=str(vendor.id),
            reason=DROPPED_NO_SHARING,
            count=counts["dropped"],
        )
    return BatchResult.model_validate(
        {
            "accepted": counts["accepted"],
            "duplicates": counts["duplicate"],
            "rejected": counts["rejected"],
            "dropped": counts["dropped"],
            "results": results,
        }
    )
