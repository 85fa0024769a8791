"""Pure routing rules: which scope a proxied request needs, which headers cross the gateway."""

from __future__ import annotations

import re
from collections.abc import Iterable

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_INGEST = re.compile(r"vendors/[^/]+/events(/.*|:.*)?")
# The services' bulk routes (telemetry batches, data-subject receipts): the gateway refuses a body
# above the same limit before forwarding it.
BULK_ROUTES = (
    r"/api/v1/analytics/vendors/[^/]+/events:batch",
    r"/api/v1/consent/data-subject-requests/[^/]+/receipts",
)

# RFC 9110 section 7.6.1 plus the ones a proxy must never relay.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
    }
)
FORWARDED_REQUEST_HEADERS = frozenset(
    {
        "accept",
        "accept-encoding",
        "accept-language",
        "authorization",
        "content-encoding",
        "content-length",
        "content-type",
        "idempotency-key",
        "if-match",
        "if-none-match",
        "if-modified-since",
        "prefer",
        "user-agent",
    }
)


def required_scope(service: str, method: str, path: str) -> str:
    """The scope the gateway demands before forwarding `method /api/v1/<service>/<path>`.

    The service then enforces its own, more precise, scope per route.
    """
    path = path.strip("/")
    if path == "admin" or path.startswith("admin/"):
        return "admin"
    if service == "analytics" and _INGEST.fullmatch(path):
        return "analytics:ingest"
    if method.upper() in READ_METHODS:
        return f"{service}:read"
    # Analytics has no write scope: vendors push with `analytics:ingest`, the rest is administration.
    return "admin" if service == "analytics" else f"{service}:write"


def audience_allows(aud: object, service: str) -> bool:
    """A token for `tandem` goes anywhere; a token for one service only to that service."""
    auds = {aud} if isinstance(aud, str) else set(aud) if isinstance(aud, list) else set()
    return bool(auds & {"tandem", service})


def request_headers(
    headers: Iterable[tuple[str, str]], *, request_id: str, client_host: str | None, scheme: str
) -> list[tuple[str, str]]:
    """What the service sees: the caller's token, body metadata, idempotency and webhook headers."""
    kept = [
        (name, value)
        for name, value in headers
        if name.lower() in FORWARDED_REQUEST_HEADERS or name.lower().startswith("webhook-")
    ]
    forwarded_for = [v for n, v in headers if n.lower() == "x-forwarded-for"]
    chain = ", ".join([*forwarded_for, client_host] if client_host else forwarded_for)
    extra = [("x-request-id", request_id), ("x-forwarded-proto", scheme)]
    if chain:
        extra.append(("x-forwarded-for", chain))
    return [*kept, *extra]


def response_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The service's response headers minus hop-by-hop ones (and its request id: the gateway sets it)."""
    return [(n, v) for n, v in headers if n.lower() not in HOP_BY_HOP and n.lower() != "x-request-id"]
