"""Signed survey answers: verified and applied once per message id, like vendor telemetry.

An answer is kept only while the respondent's `analytics` consent is granted (an answer about
someone without it is dropped and the sender told `not_consented`); a withdrawal deletes the answers
and an erasure renames the respondent (docs/analytics.md, "Surveys").
"""

from datetime import UTC, datetime
from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_analytics.fact import people
from tandem_analytics.models import CoachingAdoptionReport, NpsResponse
from tandem_analytics.settings import Settings
from tandem_analytics.survey import repository
from tandem_analytics.survey.schemas import NpsMessage, SurveyResult, parse_message
from tandem_analytics.telemetry.domain import WebhookHeaders
from tandem_analytics.telemetry.service import verified_vendor
from tandem_kit.auth import Principal

log = structlog.get_logger("tandem.analytics.survey")


async def ingest_answer(
    session: AsyncSession,
    principal: Principal,
    vendor_id: UUID,
    *,
    headers: WebhookHeaders,
    body: bytes,
    settings: Settings,
) -> SurveyResult:
    """Verify, validate and apply one survey message, at most once per webhook id."""
    vendor, _timestamp = await verified_vendor(
        session, principal, vendor_id, headers, body, settings=settings
    )
    assert headers.id is not None
    message = parse_message(body)
    fresh = await repository.claim_message(session, vendor.id, headers.id)
    status = "duplicate"
    if fresh:
        answer = message.data
        if not await people.consented(session, answer.respondent_id):
            status = "not_consented"
        else:
            model = NpsResponse if isinstance(message, NpsMessage) else CoachingAdoptionReport
            values = {**answer.model_dump(), "vendor_id": vendor.id, "received_at": datetime.now(UTC)}
            status = "stored" if await repository.upsert_answer(session, model, values) else "superseded"
    received = await repository.received_at(session, vendor.id, headers.id)
    assert received is not None
    # No respondent id in the log: the message id is enough to trace the answer.
    log.info(
        "analytics.survey.received",
        vendor_id=str(vendor.id),
        webhook_id=headers.id,
        type=message.type,
        duplicate=not fresh,
        status=status,
    )
    return SurveyResult(id=headers.id, duplicate=not fresh, status=status, received_at=received)
