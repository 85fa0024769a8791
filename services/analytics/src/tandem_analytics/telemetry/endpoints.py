from typing import Annotated
from uuid import UUID

import msgspec
from fastapi import APIRouter, Header, Response, status

from tandem_analytics.settings import SettingsDep
from tandem_analytics.telemetry import service
from tandem_analytics.telemetry.auth import AnalyticsIngest
from tandem_analytics.telemetry.schemas import BatchResult, IngestResult, VendorBatchItem, VendorEvent
from tandem_analytics.telemetry.service import SignatureInvalid
from tandem_analytics.vendor_platform.service import VendorNotFound
from tandem_analytics.vendor_platform.webhooks import SignedWebhook, raw_body_doc
from tandem_kit.db import SessionDep
from tandem_kit.openapi import problems

router = APIRouter(prefix="/vendors", tags=["telemetry"])

Prefer = Annotated[
    str | None,
    Header(
        description="`return=minimal` (RFC 7240): the answer lists only the items that were not accepted "
        "(the counts stay whole); the answer then carries `Preference-Applied: return=minimal`."
    ),
]


def wants_minimal(prefer: str | None) -> bool:
    """Whether a `Prefer` header (RFC 7240: comma-separated, tokens case-insensitive) asks for
    `return=minimal`."""
    if not prefer:
        return False
    for preference in prefer.split(","):
        token, _, value = preference.split(";")[0].strip().partition("=")
        if token.strip().lower() == "return" and value.strip().strip('"').lower() == "minimal":
            return True
    return False


@router.post(
    "/{vendor_id}/events",
    response_model=IngestResult,
    status_code=status.HTTP_202_ACCEPTED,
    responses={
        200: {"model": IngestResult, "description": "Already received: stored once."},
        **problems(SignatureInvalid, VendorNotFound),
    },
    openapi_extra=raw_body_doc(VendorEvent.model_json_schema()),
)
async def ingest_event(
    vendor_id: UUID,
    message: SignedWebhook,
    response: Response,
    principal: AnalyticsIngest,
    session: SessionDep,
    settings: SettingsDep,
) -> IngestResult:
    """Receive one session event from a vendor platform, signed per Standard Webhooks."""
    result = await service.ingest_event(
        session, principal, vendor_id, headers=message.headers, body=message.body, settings=settings
    )
    if result.duplicate:
        response.status_code = status.HTTP_200_OK
    return result


@router.post(
    "/{vendor_id}/events:batch",
    response_model=BatchResult,
    openapi_extra=raw_body_doc(VendorBatchItem.model_json_schema(), many=True),
    responses={
        200: {
            "description": "What happened to each item.",
            "headers": {
                "Preference-Applied": {
                    "description": "`return=minimal` when the request asked for it (`results` then lists "
                    "only the items not accepted).",
                    "schema": {"type": "string"},
                }
            },
        },
        **problems(SignatureInvalid, VendorNotFound),
    },
)
async def ingest_batch(
    vendor_id: UUID,
    message: SignedWebhook,
    principal: AnalyticsIngest,
    session: SessionDep,
    settings: SettingsDep,
    prefer: Prefer = None,
) -> Response:
    """Receive many session events in one request; one signature covers the whole JSON array."""
    minimal = wants_minimal(prefer)
    result = await service.ingest_batch(
        session,
        principal,
        vendor_id,
        headers=message.headers,
        body=message.body,
        settings=settings,
        minimal=minimal,
    )
    # Serialized once, as built: `response_model` documents it without validating it again.
    return Response(
        msgspec.json.encode(result),
        media_type="application/json",
        headers={"Preference-Applied": "return=minimal"} if minimal else None,
    )
