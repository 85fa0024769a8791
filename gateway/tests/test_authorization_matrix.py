"""Every route in the gateway's OpenAPI: 401 without a token, 403 with a valid token lacking the scope."""

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from fastapi import FastAPI

from tandem_gateway.testing import bearer

TokenFactory = Callable[..., Awaitable[str]]

# Health, metrics, discovery, docs, and the client-authenticated OAuth endpoints.
PUBLIC = {
    "/healthz",
    "/readyz",
    "/metrics",
    "/docs",
    "/.well-known/jwks.json",
    "/.well-known/oauth-authorization-server",
    "/oauth/token",
    "/oauth/revoke",
    "/oauth/introspect",
    "/oauth/revoked",
    "/api/v1/{service}/openapi.json",
    # SCIM discovery (RFC 7644 §4), read by IdPs before they authenticate.
    "/scim/v2/ServiceProviderConfig",
    "/scim/v2/ResourceTypes",
    "/scim/v2/ResourceTypes/{name}",
    "/scim/v2/Schemas",
    "/scim/v2/Schemas/{schema_id}",
    # Calendar providers' webhooks: the channel token / clientState is the check (tests/calendars).
    "/api/v1/calendars/notifications/google",
    "/api/v1/calendars/notifications/microsoft",
    "/api/v1/calendars/notifications/microsoft/lifecycle",
}
PARAMS = {"service": "consent", "path": "purposes", "client_id": "tc_nobody"}


def operations(app: FastAPI) -> list[tuple[str, str]]:
    spec: dict[str, Any] = app.openapi()
    return sorted(
        (method.upper(), path)
        for path, item in spec["paths"].items()
        if path not in PUBLIC
        for method in item
    )


def concrete(path: str) -> str:
    for name, value in PARAMS.items():
        path = path.replace("{" + name + "}", value)
    return path


def test_matrix_covers_every_route(app: FastAPI) -> None:
    walked = {path for _, path in operations(app)}
    assert walked | PUBLIC == set(app.openapi()["paths"])
    assert "/api/v1/admin/clients" in walked
    assert "/api/v1/{service}/{path}" in walked
    assert "/graphql" in walked


async def test_anonymous_everywhere(app: FastAPI, client: httpx.AsyncClient) -> None:
    results = {
        (method, path): (
            await client.request(method, concrete(path), headers={"accept": "application/json"})
        ).status_code
        for method, path in operations(app)
    }
    assert results == dict.fromkeys(results, 401)


async def test_wrong_scope_everywhere(
    app: FastAPI, client: httpx.AsyncClient, token_for: TokenFactory
) -> None:
    # analytics:ingest opens none of these: not admin, not consent:*, not a read scope for GraphQL.
    token = await token_for("analytics:ingest")
    results = {
        (method, path): (
            await client.request(
                method, concrete(path), headers={**bearer(token), "accept": "application/json"}
            )
        ).status_code
        for method, path in operations(app)
    }
    assert results == dict.fromkeys(results, 403)


async def test_other_audience_everywhere(
    app: FastAPI, client: httpx.AsyncClient, token_for: TokenFactory
) -> None:
    # Every scope, but meant for matching: no route the gateway serves (nor forwarding to consent) takes it.
    token = await token_for(resource="matching")
    results = {
        (method, path): (
            await client.request(
                method, concrete(path), headers={**bearer(token), "accept": "application/json"}
            )
        ).status_code
        for method, path in operations(app)
    }
    assert results == dict.fromkeys(results, 401)
