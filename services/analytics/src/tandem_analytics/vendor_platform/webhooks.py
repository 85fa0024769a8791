"""What every signed vendor push endpoint shares: the Standard Webhooks headers read with the raw
body (the signature covers its exact bytes), and the documentation of a body read raw."""

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request

from tandem_analytics.telemetry.domain import WebhookHeaders

WebhookId = Annotated[str | None, Header(alias="webhook-id", description="Unique message id.")]
WebhookTimestamp = Annotated[
    str | None, Header(alias="webhook-timestamp", description="Seconds since the epoch, within ±5 minutes.")
]
WebhookSignature = Annotated[
    str | None,
    Header(alias="webhook-signature", description="`v1,<base64 HMAC-SHA256>`; space-separated list allowed."),
]


@dataclass(frozen=True)
class SignedMessage:
    headers: WebhookHeaders
    body: bytes


async def signed_message(
    request: Request,
    webhook_id: WebhookId = None,
    webhook_timestamp: WebhookTimestamp = None,
    webhook_signature: WebhookSignature = None,
) -> SignedMessage:
    # Missing headers are not a 422 here: the signature check refuses them with 401 and names them.
    return SignedMessage(
        WebhookHeaders(webhook_id, webhook_timestamp, webhook_signature), await request.body()
    )


SignedWebhook = Annotated[SignedMessage, Depends(signed_message)]


def inline_refs(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            return inline_refs(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
        return {k: inline_refs(v, defs) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [inline_refs(v, defs) for v in node]
    return node


def raw_body_doc(schema: dict[str, Any], *, many: bool = False) -> dict[str, Any]:
    """`openapi_extra` documenting a JSON body the endpoint reads raw (one item, or an array of them)."""
    item = inline_refs(schema, schema.get("$defs", {}))
    body = {"type": "array", "items": item} if many else item
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": body}}}}
