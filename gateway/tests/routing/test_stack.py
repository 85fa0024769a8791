"""The gateway in front of real services over real HTTP: the consent service, and an echo service."""

import asyncio
import hashlib
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import httpx
import jwt
import pytest
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

from tandem_gateway.app import create_app
from tandem_gateway.testing import (
    GATEWAY_DIR,
    Credentials,
    bearer,
    create_oauth_client,
    fetch_token,
    gateway_settings,
    serve,
)
from tandem_kit.embedded import free_port
from tandem_kit.testing import Infra, eventually

CHUNK = b"x" * 65536
MIB = 1024 * 1024
ECHOED: list[str] = []  # paths whose whole body reached the echo service


async def echo(request: Request) -> JSONResponse:
    digest, size, chunks = hashlib.sha256(), 0, 0
    async for chunk in request.stream():
        digest.update(chunk)
        size += len(chunk)
        chunks += bool(chunk)
    ECHOED.append(request.url.path)
    return JSONResponse(
        {
            "method": request.method,
            "path": request.url.path,
            "raw_path": request.scope["raw_path"].decode(),
            "query": request.url.query,
            "headers": dict(request.headers),
            "size": size,
            "sha256": digest.hexdigest(),
        },
        headers={"Connection": "keep-alive", "X-Upstream": "echo"},
    )


async def stream(request: Request) -> StreamingResponse:
    async def body() -> AsyncIterator[bytes]:
        for _ in range(16):
            yield CHUNK
            await asyncio.sleep(0)

    return StreamingResponse(body(), media_type="application/octet-stream")


async def slow(request: Request) -> JSONResponse:
    await asyncio.sleep(5)
    return JSONResponse({})


ECHO = Starlette(
    routes=[
        Route("/api/v1/analytics/stream", stream),
        Route("/api/v1/analytics/slow", slow),
        Route("/api/v1/analytics/{path:path}", echo, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
    ]
)


@dataclass
class Stack:
    gateway: str
    consent: str
    admin: Credentials


@pytest.fixture(scope="module")
async def stack(infra: Infra, consent_behind: Callable[[str], FastAPI]) -> AsyncIterator[Stack]:
    gateway_port, consent_port = free_port(), free_port()
    gateway_url = f"http://127.0.0.1:{gateway_port}"
    async with serve(ECHO) as echo_url:
        gateway = create_app(
            gateway_settings(
                infra,
                database_url=infra.fresh_database("gateway", GATEWAY_DIR),
                consent_url=f"http://127.0.0.1:{consent_port}",
                analytics_url=echo_url,
                graphql_subgraphs=("consent",),
                upstream_read_timeout=1.0,
            )
        )
        async with (
            serve(gateway, port=gateway_port),
            serve(consent_behind(gateway_url), port=consent_port),
        ):
            admin = await create_oauth_client(gateway, "all", name="stack-admin")
            yield Stack(gateway=gateway_url, consent=f"http://127.0.0.1:{consent_port}", admin=admin)


@pytest.fixture
async def http(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=stack.gateway, timeout=10) as client:
        yield client


async def test_client_from_admin_api_calls_service(stack: Stack, http: httpx.AsyncClient) -> None:
    admin = await fetch_token(http, stack.admin)
    created = await http.post(
        "/api/v1/admin/clients", json={"name": "front-end", "scopes": ["consent:read"]}, headers=bearer(admin)
    )
    creds = Credentials(created.json()["client_id"], created.json()["client_secret"])
    token = await fetch_token(http, creds)
    through_gateway = await http.get("/api/v1/consent/purposes", headers=bearer(token))
    direct = await http.get(f"{stack.consent}/api/v1/consent/purposes", headers=bearer(token))
    assert through_gateway.status_code == 200
    assert through_gateway.json() == direct.json()
    assert "matching" in [p["key"] for p in through_gateway.json()]
    assert through_gateway.headers["x-request-id"]


async def test_missing_scope_stopped_at_gateway(stack: Stack, http: httpx.AsyncClient) -> None:
    creds = await create_client_with(http, stack, ["matching:read"])
    response = await http.get("/api/v1/consent/purposes", headers=bearer(await fetch_token(http, creds)))
    assert response.status_code == 403
    assert response.json()["missing_scopes"] == ["consent:read"]


async def test_write_needs_the_routes_own_scopes(stack: Stack, http: httpx.AsyncClient) -> None:
    # Purposes are privacy configuration: consent declares consent:write plus admin, so the gateway does.
    creds = await create_client_with(http, stack, ["consent:read"])
    response = await http.post(
        "/api/v1/consent/purposes", json={"key": "x"}, headers=bearer(await fetch_token(http, creds))
    )
    assert response.status_code == 403
    assert response.json()["missing_scopes"] == ["admin", "consent:write"]


async def test_retried_grant_through_gateway_is_replayed(stack: Stack, http: httpx.AsyncClient) -> None:
    """The gateway relays Idempotency-Key; the consent service answers a retry from its store."""
    creds = await create_client_with(http, stack, ["consent:read", "consent:write"])
    url = f"/api/v1/consent/people/{uuid.uuid4()}/consents/matching/grants"
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = await http.post(
        url, json={"notice_version": 1}, headers={**bearer(await fetch_token(http, creds)), **key}
    )
    retry = await http.post(
        url, json={"notice_version": 1}, headers={**bearer(await fetch_token(http, creds)), **key}
    )
    assert (first.status_code, retry.status_code) == (201, 201), retry.text
    assert retry.json() == first.json()
    assert (first.headers.get("idempotency-replayed"), retry.headers["idempotency-replayed"]) == (
        None,
        "true",
    )
    other = await http.post(
        url,
        json={"notice_version": 1, "method": "api"},
        headers={**bearer(await fetch_token(http, creds)), **key},
    )
    assert other.status_code == 422
    assert other.json()["type"] == "https://tandem.dev/problems/idempotency-key-reused"


async def test_token_for_other_service_refused(stack: Stack, http: httpx.AsyncClient) -> None:
    creds = await create_client_with(http, stack, ["consent:read", "matching:read"])
    token = await fetch_token(http, creds, resource="matching")
    response = await http.get("/api/v1/consent/purposes", headers=bearer(token))
    assert response.status_code == 401
    assert response.json()["detail"] == (
        "The access token is not meant for this service (aud must be one of: consent tandem)."
    )


async def test_request_body_streamed_and_headers_filtered(stack: Stack, http: httpx.AsyncClient) -> None:
    creds = await create_client_with(http, stack, ["analytics:read", "analytics:ingest"])
    token = await fetch_token(http, creds)

    async def body() -> AsyncIterator[bytes]:
        for _ in range(48):  # 3 MiB, chunked: no Content-Length (a batch: the bulk body limit)
            yield CHUNK

    response = await http.post(
        "/api/v1/analytics/vendors/betterup/events:batch?batch=7",
        content=body(),
        headers={
            **bearer(token),
            "Idempotency-Key": "idem-1",
            "Webhook-Id": "msg_1",
            "Webhook-Signature": "v1,abc",
            "X-Internal-Debug": "secret",
            "Content-Type": "application/octet-stream",
            "x-request-id": "req-42",
        },
    )
    assert response.status_code == 200, response.text
    echoed = response.json()
    assert echoed["size"] == 48 * len(CHUNK)
    assert echoed["sha256"] == hashlib.sha256(CHUNK * 48).hexdigest()
    assert echoed["query"] == "batch=7"
    headers = echoed["headers"]
    assert headers["authorization"] == f"Bearer {token}"
    assert headers["idempotency-key"] == "idem-1"
    assert headers["webhook-id"] == "msg_1"
    assert headers["webhook-signature"] == "v1,abc"
    assert headers["x-request-id"] == "req-42"
    assert "x-internal-debug" not in headers
    assert response.headers["x-request-id"] == "req-42"
    assert response.headers["x-upstream"] == "echo"


async def test_sized_body_and_encoded_path_pass_unchanged(stack: Stack, http: httpx.AsyncClient) -> None:
    creds = await create_client_with(http, stack, ["analytics:read", "admin"])
    payload = b'{"note": "caf\xc3\xa9"}' * 1000
    response = await http.put(
        "/api/v1/analytics/programs/a%2Fb%20c/notes?q=x%26y&q=z",
        content=payload,
        headers={**bearer(await fetch_token(http, creds)), "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    echoed = response.json()
    assert echoed["method"] == "PUT"
    assert echoed["raw_path"] == "/api/v1/analytics/programs/a%2Fb%20c/notes"
    assert echoed["query"] == "q=x%26y&q=z"
    assert echoed["headers"]["content-length"] == str(len(payload))
    assert "transfer-encoding" not in echoed["headers"]
    assert echoed["sha256"] == hashlib.sha256(payload).hexdigest()


async def test_body_above_the_limit_refused_before_forwarding(stack: Stack, http: httpx.AsyncClient) -> None:
    creds = await create_client_with(http, stack, ["analytics:read", "admin"])
    path = "/api/v1/analytics/programs/too-large"
    response = await http.put(
        path,
        content=b"x" * (MIB + 1),
        headers={**bearer(await fetch_token(http, creds)), "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["max_body_bytes"] == MIB
    assert path not in ECHOED


async def test_chunked_body_above_the_limit_cut_at_the_gateway(stack: Stack, http: httpx.AsyncClient) -> None:
    creds = await create_client_with(http, stack, ["analytics:read", "analytics:ingest"])

    async def body() -> AsyncIterator[bytes]:
        for _ in range(160):  # 10 MiB, chunked: counted as it arrives
            yield CHUNK

    path = "/api/v1/analytics/vendors/too-much/events:batch"
    response = await http.post(path, content=body(), headers=bearer(await fetch_token(http, creds)))
    assert response.status_code == 413
    assert response.json()["max_body_bytes"] == 8 * MIB
    assert path not in ECHOED


async def test_token_form_above_the_limit_refused_unauthenticated(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/oauth/token",
        content=b"grant_type=client_credentials&scope=" + b"x" * (64 * 1024),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["max_body_bytes"] == 64 * 1024


async def test_chunked_token_form_above_the_limit_refused(http: httpx.AsyncClient) -> None:
    async def form() -> AsyncIterator[bytes]:
        yield b"grant_type=client_credentials&scope="
        for _ in range(2):
            yield CHUNK

    response = await http.post(
        "/oauth/token", content=form(), headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 413


async def test_ingest_route_needs_ingest_scope(stack: Stack, http: httpx.AsyncClient) -> None:
    creds = await create_client_with(http, stack, ["analytics:read"])
    response = await http.post(
        "/api/v1/analytics/vendors/betterup/events", json=[], headers=bearer(await fetch_token(http, creds))
    )
    assert response.status_code == 403
    assert response.json()["missing_scopes"] == ["analytics:ingest"]


async def test_response_streamed(stack: Stack, http: httpx.AsyncClient) -> None:
    creds = await create_client_with(http, stack, ["analytics:read"])
    received = bytearray()
    async with http.stream(
        "GET", "/api/v1/analytics/stream", headers=bearer(await fetch_token(http, creds))
    ) as r:
        assert r.status_code == 200
        assert r.headers.get("transfer-encoding") == "chunked"
        async for chunk in r.aiter_bytes():
            received.extend(chunk)
    assert bytes(received) == CHUNK * 16


async def test_service_down_503(stack: Stack, http: httpx.AsyncClient) -> None:
    creds = await create_client_with(http, stack, ["matching:read"])
    started = time.monotonic()
    response = await http.get("/api/v1/matching/programs", headers=bearer(await fetch_token(http, creds)))
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["service"] == "matching"
    assert time.monotonic() - started < 3


async def test_slow_service_504(stack: Stack, http: httpx.AsyncClient) -> None:
    creds = await create_client_with(http, stack, ["analytics:read"])
    response = await http.get("/api/v1/analytics/slow", headers=bearer(await fetch_token(http, creds)))
    assert response.status_code == 504
    assert response.json()["type"] == "https://tandem.dev/problems/gateway-timeout"


async def test_unknown_service_404(http: httpx.AsyncClient) -> None:
    response = await http.get("/api/v1/payroll/things")
    assert response.status_code == 404
    assert response.json()["type"] == "https://tandem.dev/problems/unknown-service"


async def test_service_openapi_through_gateway(stack: Stack, http: httpx.AsyncClient) -> None:
    through = await http.get("/api/v1/consent/openapi.json")
    direct = await http.get(f"{stack.consent}/api/v1/consent/openapi.json")
    assert through.status_code == 200
    assert through.json() == direct.json()
    assert (await http.get("/api/v1/matching/openapi.json")).status_code == 503


async def test_combined_docs_page(http: httpx.AsyncClient) -> None:
    page = (await http.get("/docs")).text
    for name in ("gateway", "matching", "scheduling", "consent", "analytics"):
        assert f'"/api/v1/{name}/openapi.json"' in page


async def test_graphql_through_gateway(stack: Stack, http: httpx.AsyncClient) -> None:
    creds = await create_client_with(http, stack, ["consent:read"])
    token = await fetch_token(http, creds)
    query = "query Keys { purposes { key title } }"

    async def composed() -> httpx.Response | None:
        response = await http.post("/graphql", json={"query": query}, headers=bearer(token))
        return response if response.status_code == 200 else None

    response = await eventually(composed, timeout=10)
    direct = await http.post(f"{stack.consent}/graphql", json={"query": query}, headers=bearer(token))
    assert response.json() == direct.json()
    assert "matching" in [p["key"] for p in response.json()["data"]["purposes"]]


async def test_graphql_needs_a_read_scope(stack: Stack, http: httpx.AsyncClient) -> None:
    creds = await create_client_with(http, stack, ["analytics:ingest"])
    response = await http.post(
        "/graphql", json={"query": "{ __typename }"}, headers=bearer(await fetch_token(http, creds))
    )
    assert response.status_code == 403


async def create_client_with(http: httpx.AsyncClient, stack: Stack, scopes: list[str]) -> Credentials:
    admin = await fetch_token(http, stack.admin)
    name = f"c-{jwt.utils.base64url_encode(str(time.monotonic_ns()).encode()).decode()}"
    created = await http.post(
        "/api/v1/admin/clients", json={"name": name, "scopes": scopes}, headers=bearer(admin)
    )
    assert created.status_code == 201, created.text
    return Credentials(created.json()["client_id"], created.json()["client_secret"])
