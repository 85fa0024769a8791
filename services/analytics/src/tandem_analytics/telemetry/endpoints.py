from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Header, Request, Response, status

from tandem_analytics.settings import SettingsDep
from tandem_analytics.telemetry import service
from tandem_analytics.telemetry.auth import AnalyticsIngest
from tandem_analytics.telemetry.domain import WebhookHeaders
from tandem_analytics.telemetry.schemas import BatchResult, IngestResult, VendorBatchItem, VendorEvent
from tandem_analytics.telemetry.service import SignatureInvalid
from tandem_analytics.vendor_platform.service import VendorNotFound
from tandem_kit.db import SessionDep
from tandem_kit.openapi import problems

router = APIRouter(prefix="/vendors", tags=["telemetry"])

WebhookId = Annotated[str | None, Header(alias="webhook-id", description="Unique message id.")]
WebhookTimestamp = Annotated[
    str | None, Header(alias="webhook-timestamp", description="Seconds since the epoch, within ±5 minutes.")
]
WebhookSignature = Annotated[
    str | None,
    Header(alias="webhook-signature", description="`v1,<base64 HMAC-SHA256>`; space-separated list allowed."),
]


def inline_refs(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            return inline_refs(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
        return {k: inline_refs(v, defs) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [inline_refs(v, defs) for v in node]
    return node


def _body_doc(schema: type[VendorEvent], *, many: bool) -> dict[str, Any]:
    # The body is read raw (the signature covers its exact bytes), so document its shape by hand.
    raw = schema.model_json_schema()
    item = inline_refs(raw, raw.get("$defs", {}))
    body = {"type": "array", "items": item} if many else item
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": body}}}}


@router.post(
    "/{vendor_id}/events",
    response_model=IngestResult,
    status_code=status.HTTP_202_ACCEPTED,
    responses={
        200: {"model": IngestResult, "description": "Already received: stored once."},
        **problems(SignatureInvalid, VendorNotFound),
    },
    openapi_extra=_body_doc(VendorEvent, many=False),
)
async def ingest_event(
    vendor_id: UUID,
    request: Request,
    response: Response,
    principal: AnalyticsIngest,
    session: SessionDep,
    settings: SettingsDep,
    webhook_id: WebhookId = None,
    webhook_timestamp: WebhookTimestamp = None,
    webhook_signature: WebhookSignature = None,
) -> IngestResult:
    """Receive one session event from a vendor platform, signed per Standard Webhooks."""
    result = await service.ingest_event(
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


@router.post(
    "/{vendor_id}/events:batch",
    response_model=BatchResult,
    openapi_extra=_body_doc(VendorBatchItem, many=True),
    responses=problems(SignatureInvalid, VendorNotFound),
)
async def ingest_batch(
    vendor_id: UUID,
    request: Request,
    principal: AnalyticsIngest,
    session: SessionDep,
    settings: SettingsDep,
    webhook_id: WebhookId = None,
    webhook_timestamp: WebhookTimestamp = None,
    webhook_signature: WebhookSignature = None,
) -> Response:
    """Receive many session events in one request; one signature covers the whole JSON array."""
    result = await service.ingest_batch(
        session,
        principal,
        vendor_id,
        headers=WebhookHeaders(webhook_id, webhook_timestamp, webhook_signature),
        body=await request.body(),
        settings=settings,
    )
    # Serialized once, as built: `response_model` documents it without validating it again.
    return Response(result.model_dump_json(), media_type="application/json")
