"""Faults behind and beside the gateway, over real HTTP: its own database down, a service's 500, a
subgraph not composed yet."""

import asyncio
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
from tandem_kit.testing import Infra, TcpProxy, probe_app


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
