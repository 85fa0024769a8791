"""Pure routing rules: which scope a proxied request needs, which headers cross the gateway."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

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


# Generated from the services' own scope declarations (`make route-scopes`); tests/test_route_scopes.py
# fails when it and the services disagree.
ROUTE_SCOPES_FILE = Path(__file__).with_name("route_scopes.json")
_PARAMETER = re.compile(r"\{[^}]+\}")


@dataclass(frozen=True)
class RouteScopes:
    """One service route: its path template and the scopes each method needs."""

    template: str
    prefix: str  # the literal text before the first parameter: a cheap test before the pattern
    pattern: re.Pattern[str]
    scopes: Mapping[str, frozenset[str]]


def compile_route_scopes(
    table: Mapping[str, Mapping[str, Mapping[str, Sequence[str]]]],
) -> dict[str, tuple[RouteScopes, ...]]:
    """Per service, its routes with the most literal text first, so `/sessions.ics` wins over
    `/sessions` and `/events:batch` over `/events` (a parameter never matches a `/`)."""
    compiled: dict[str, tuple[RouteScopes, ...]] = {}
    for service, routes in table.items():
        entries = [
            RouteScopes(
                template=template,
                prefix=template.split("{", 1)[0],
                pattern=re.compile("[^/]+".join(re.escape(text) for text in _PARAMETER.split(template))),
                scopes={method: frozenset(scopes) for method, scopes in methods.items()},
            )
            for template, methods in routes.items()
        ]
        entries.sort(key=lambda e: (-len(_PARAMETER.sub("", e.template)), e.template))
        compiled[service] = tuple(entries)
    return compiled


def load_route_scopes(path: Path = ROUTE_SCOPES_FILE) -> dict[str, tuple[RouteScopes, ...]]:
    return compile_route_scopes(json.loads(path.read_text()))


ROUTE_SCOPES = load_route_scopes()


def route_scopes(
    routes: Sequence[RouteScopes], method: str, full_path: str
) -> tuple[str, frozenset[str]] | None:
    """The template `method full_path` resolves to and its scopes; None for no such route and method."""
    method = "GET" if method.upper() == "HEAD" else method.upper()
    for route in routes:
        if (
            method in route.scopes
            and full_path.startswith(route.prefix)
            and route.pattern.fullmatch(full_path)
        ):
            return route.template, route.scopes[method]
    return None


def required_scopes(service: str, method: str, path: str) -> frozenset[str]:
    """What the gateway demands before forwarding `method /api/v1/<service>/<path>`: exactly the scopes
    the service's route declares (one source of truth), or the coarse rule for a route it does not have
    (the service answers 404 or 405 then)."""
    found = route_scopes(ROUTE_SCOPES.get(service, ()), method, f"/api/v1/{service}/{path.strip('/')}")
    return found[1] if found is not None else frozenset({required_scope(service, method, path)})


def required_scope(service: str, method: str, path: str) -> str:
    """The coarse scope for a path no service route matches: reads need `<service>:read`, the rest
    `<service>:write` (`admin` under admin/ and for analytics, `analytics:ingest` for vendor events)."""
    path = path.strip("/")
    if path == "admin" or path.startswith("admin/"):
        return "admin"
    if service == "analytics" and _INGEST.fullmatch(path):
        return "analytics:ingest"
    if method.upper() in READ_METHODS:
        return f"{service}:read"
    # Analytics has no write scope: vendors push with `analytics:ingest`, the rest is administration.
    return "admin" if service == "analytics" else f"{service}:write"


def forwarding_audiences(service: str) -> frozenset[str]:
    """A token for `tandem` goes anywhere; a token for one service only to that service."""
    return frozenset({"tandem", service})


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
