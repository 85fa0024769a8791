from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response, status

from tandem_analytics.settings import SettingsDep
from tandem_analytics.survey import service
from tandem_analytics.survey.schemas import MESSAGE, SurveyResult
from tandem_analytics.telemetry.auth import AnalyticsIngest
from tandem_analytics.telemetry.domain import WebhookHeaders
from tandem_analytics.telemetry.endpoints import WebhookId, WebhookSignature, WebhookTimestamp, inline_refs
from tandem_analytics.telemetry.service import SignatureInvalid
from tandem_analytics.vendor_platform.service import VendorNotFound
from tandem_kit.db import SessionDep
from tandem_kit.openapi import problems

router = APIRouter(prefix="/vendors", tags=["surveys"])


def _body_doc() -> dict[str, Any]:
    # The body is read raw (the signature covers its exact bytes), so document its shape by hand.
    raw = MESSAGE.json_schema()
    body = inline_refs(raw, raw.get("$defs", {}))
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": body}}}}


@router.post(
    "/{vendor_id}/survey-responses",
    response_model=SurveyResult,
    status_code=status.HTTP_202_ACCEPTED,
    responses={
        200: {"model": SurveyResult, "description": "Already received: applied once."},
        **problems(SignatureInvalid, VendorNotFound),
    },
    openapi_extra=_body_doc(),
)
async def ingest_survey_response(
    vendor_id: UUID,
    request: Request,
    response: Response,
    principal: AnalyticsIngest,
    session: SessionDep,
    settings: SettingsDep,
    webhook_id: WebhookId = None,
    webhook_timestamp: WebhookTimestamp = None,
    webhook_signature: WebhookSignature = None,
) -> SurveyResult:
    """Receive one survey answer (participant NPS or manager coaching self-report), signed per Standard Webhooks."""
    result = await service.ingest_answer(
        session,
        principal,
        vendor_id,
        headers=WebhookHeaders(webhook_id, webhook_timestamp, webhook_signature),
        body=await request.body(),
        settings=settings,
    )
    if result.duplicate:
        response.status_code = status.HTTP_200_OK
    return result
