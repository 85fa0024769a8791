"""scim2-tester against the gateway served over real HTTP: every check passes (none ERROR/CRITICAL)."""

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
from fastapi import FastAPI
from scim2_client.client import BaseSyncSCIMClient
from scim2_tester import check_server
from scim2_tester.utils import Status

from tandem_gateway.testing import bearer, create_oauth_client, fetch_token, serve
from tandem_kit.embedded import free_port
from tandem_kit.testing import asgi_client, running

FAILED = {Status.ERROR, Status.CRITICAL, Status.DEVIATION}


class HttpxScimClient(BaseSyncSCIMClient):
    """scim2-client's request engine over a plain httpx client."""

    def __init__(self, client: httpx.Client, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.client = client

    def _stays_under_base_url(self, endpoint: str) -> bool:
        base, url = self.client.base_url, self.client.build_request("GET", endpoint).url
        same_origin = (url.scheme, url.host, url.port) == (base.scheme, base.host, base.port)
        return same_origin and url.raw_path.startswith(base.raw_path)

    def _parse_json(self, response: Any) -> Any:
        return response.json()

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self.client.request(method, url, **kwargs)


def run_checks(base_url: str, token: str) -> list[Any]:
    with httpx.Client(base_url=f"{base_url}/scim/v2/", headers=bearer(token), timeout=30) as http:
        return check_server(HttpxScimClient(http))


async def test_scim2_tester_finds_no_failure(fresh_gateway: Callable[..., FastAPI]) -> None:
    port = free_port()
    app = fresh_gateway(issuer=f"http://127.0.0.1:{port}")
    async with running(app), asgi_client(app) as http:
        creds = await create_oauth_client(app, "scim:provision")
        token = await fetch_token(http, creds)
    async with serve(app, port=port) as base_url:
        results = await asyncio.to_thread(run_checks, base_url, token)

    failures = [f"{r.resource_type} {r.title}: {r.reason}" for r in results if r.status in FAILED]
    assert failures == [], "\n".join(failures)
    assert len([r for r in results if r.status == Status.SUCCESS]) > 20
