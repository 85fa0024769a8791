from uuid import UUID

from fastapi import APIRouter, Response, status

from tandem_analytics.settings import SettingsDep
from tandem_analytics.survey import service
from tandem_analytics.survey.schemas import MESSAGE, SurveyResult
from tandem_analytics.telemetry.auth import AnalyticsIngest
from tandem_analytics.telemetry.service import SignatureInvalid
from tandem_analytics.vendor_platform.service import VendorNotFound
from tandem_analytics.vendor_platform.webhooks import SignedWebhook, raw_body_doc
from tandem_kit.db import SessionDep
from tandem_kit.openapi import problems

router = APIRouter(prefix="/vendors", tags=["surveys"])


@router.post(
    "/{vendor_id}/survey-responses",
    response_model=SurveyResult,
    status_code=status.HTTP_202_ACCEPTED,
    responses={
        200: {"model": SurveyResult, "description": "Already received: applied once."},
        **problems(SignatureInvalid, VendorNotFound),
    },
    openapi_extra=raw_body_doc(MESSAGE.json_schema()),
)
async def ingest_survey_response(
    vendor_id: UUID,
    message: SignedWebhook,
    response: Response,
    principal: AnalyticsIngest,
    session: SessionDep,
    settings: SettingsDep,
) -> SurveyResult:
    """Receive one survey answer (participant NPS or manager coaching self-report), signed per Standard Webhooks."""
    result = await service.ingest_answer(
        session,
        principal,
        vendor_id,
        headers=message.headers,
        body=message.body,
        settings=settings,
    )
    if result.duplicate:
        response.status_code = status.HTTP_200_OK
    return result
