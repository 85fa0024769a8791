"""Faults behind and beside the gateway, over real HTTP: its own database down, a service's 500, a
subgraph not composed yet."""

import asyncio
import contextlib
import re
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from tandem_gateway.app import create_app
from tandem_gateway.testing import (
    GATEWAY_DIR,
    Credentials,
    bearer,
    closed_port_url,
    create_oauth_client,
    fetch_token,
    gateway_settings,
    serve,
)
from tandem_kit.testing import Infra, TcpProxy, asgi_client, probe_app, running


@dataclass
class Edge:
    url: str
    database: TcpProxy  # between the gateway and its own database
    client: Credentials
    refresh_seconds: float


@pytest.fixture
async def edge(infra: Infra) -> AsyncIterator[Edge]:
    """A served gateway whose database sits behind a cuttable proxy, with a kit service as `matching`."""
    proxy = await TcpProxy(infra.postgres.port).start()
    direct = infra.fresh_database("gateway", GATEWAY_DIR)
    proxied = direct.replace(f":{infra.postgres.port}/", f":{proxy.port}/")
    infra.postgres.ensure_database("probe")
    service = probe_app(infra.postgres.url("probe"), infra.nats.url, name="matching")
    try:
        async with serve(service) as matching_url:
            settings = gateway_settings(infra, database_url=proxied, matching_url=matching_url)
            gateway = create_app(settings)
            async with serve(gateway) as url:
                client = await create_oauth_client(gateway, "matching:read", name="faults")
                yield Edge(url, proxy, client, settings.jwks_refresh_seconds)
    finally:
        await proxy.cut()


async def test_gateway_database_down_forwarding_goes_on(edge: Edge) -> None:
    async with httpx.AsyncClient(base_url=edge.url, timeout=10) as http:
        token = await fetch_token(http, edge.client)
        await edge.database.cut()
        statuses: Counter[int] = Counter()
        # Long enough for several revocation-list and key refreshes to come due and fail.
        until = time.monotonic() + 5 * edge.refresh_seconds
        while time.monotonic() < until:
            statuses[(await http.get("/api/v1/matching/rows", headers=bearer(token))).status_code] += 1
        assert set(statuses) == {200}
        issued = await http.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, headers=edge.client.basic
        )
        assert issued.status_code == 503
        assert issued.headers["retry-after"] == "5"
        assert issued.json()["type"] == "https://tandem.dev/problems/database-unavailable"
        assert (await http.get("/.well-known/jwks.json")).status_code == 200
        ready = await http.get("/readyz")
        assert (ready.status_code, ready.json()) == (
            200,
            {"status": "degraded", "checks": {"database": "down", "broker": "ok", "graphql": "ok"}},
        )
        await edge.database.restore()
        assert (await fetch_token(http, edge.client)).count(".") == 2


async def test_service_500_then_other_callers_get_no_503(edge: Edge) -> None:
    async with httpx.AsyncClient(base_url=edge.url, timeout=10) as http:
        headers = bearer(await fetch_token(http, edge.client))
        statuses: Counter[tuple[str, int]] = Counter()

        async def call(path: str) -> None:
            statuses[path, (await http.get(f"/api/v1/matching/{path}", headers=headers)).status_code] += 1

        for _ in range(40):
            await asyncio.gather(call("boom"), call("rows"), call("rows"), call("rows"))
    assert statuses == Counter({("boom", 500): 40, ("rows", 200): 120})


async def test_not_ready_until_graphql_can_answer(infra: Infra) -> None:
    settings = gateway_settings(infra, consent_url=closed_port_url(), graphql_subgraphs=("consent",))
    async with serve(create_app(settings)) as url, httpx.AsyncClient(base_url=url) as http:
        ready = await http.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["graphql"] == "down"


@contextlib.asynccontextmanager
async def hanging_up_on_second_request() -> AsyncIterator[str]:
    """An HTTP/1.1 service that answers the first request on each connection and hangs up on the
    second without answering: a kept-alive connection closed under its client."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            for answered in (True, False):
                head = await reader.readuntil(b"\r\n\r\n")
                length = re.search(rb"(?i)content-length: *(\d+)", head)
                await reader.readexactly(int(length.group(1)) if length else 0)
                if not answered:
                    break
                body = b'{"answered": true}'
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.transport.abort()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        server.close()


async def test_pooled_connection_closed_under_the_gateway_is_retried(infra: Infra) -> None:
    async with hanging_up_on_second_request() as service_url:
        settings = gateway_settings(
            infra, database_url=infra.fresh_database("gateway", GATEWAY_DIR), analytics_url=service_url
        )
        async with running(create_app(settings)) as gateway, asgi_client(gateway) as http:
            creds = await create_oauth_client(gateway, "analytics:read", "analytics:ingest")
            headers = bearer(await fetch_token(http, creds))
            statuses = [
                (await http.get(f"/api/v1/analytics/kpis/{n}", headers=headers)).status_code for n in range(4)
            ]
            assert statuses == [200, 200, 200, 200]
            # Each retry left a fresh pooled connection with one answer: the next request on it is cut.
            # A POST without an Idempotency-Key that went out whole is not sent twice (the service may
            # have acted on it); with one it is.
            post = "/api/v1/analytics/vendors/v/events"
            lost = await http.post(post, json=[], headers=headers)
            assert (lost.status_code, lost.json()["service"]) == (503, "analytics")
            keyed = {**headers, "Idempotency-Key": "k-1"}
            assert [(await http.post(post, json=[], headers=keyed)).status_code for _ in range(2)] == [
                200,
                200,
            ]
