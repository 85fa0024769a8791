"""The outbound OAuth helper against a fake provider that behaves like a real one (token expiry, 429)."""

import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tandem_gateway.integrations.oauth import DEFAULT_TIMEOUT, OAuthApiClient
from tandem_kit.oauth_client import ClientCredentials

CLIENT_ID, CLIENT_SECRET = "tandem", "provider-secret"


@dataclass
class Provider:
    """Token endpoint (RFC 6749 errors) and one paginated API needing a live bearer token."""

    expires_in: int = 3600
    live: set[str] = field(default_factory=set)
    token_requests: int = 0
    throttle: list[int] = field(default_factory=list)  # statuses to answer before serving
    retry_after: str = "2"
    issued: int = 0

    async def token(self, request: Request) -> JSONResponse:
        self.token_requests += 1
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {expected}":
            return JSONResponse({"error": "invalid_client"}, 401, headers={"WWW-Authenticate": "Basic"})
        self.issued += 1
        token = f"tok-{self.issued}"
        self.live.add(token)
        return JSONResponse({"access_token": token, "token_type": "Bearer", "expires_in": self.expires_in})

    async def people(self, request: Request) -> JSONResponse:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if token not in self.live:
            return JSONResponse(
                {"error": "invalid_token"}, 401, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}
            )
        if self.throttle:
            status = self.throttle.pop(0)
            return JSONResponse({"error": "slow down"}, status, headers={"Retry-After": self.retry_after})
        page = int(request.query_params.get("page", "1"))
        body = {"people": [f"p{page}"], "next": f"/v1/people?page={page + 1}" if page < 2 else None}
        return JSONResponse(body)

    def expire_all(self) -> None:
        self.live.clear()

    def app(self) -> Starlette:
        return Starlette(
            routes=[Route("/oauth/token", self.token, methods=["POST"]), Route("/v1/people", self.people)]
        )


@pytest.fixture
def provider() -> Provider:
    return Provider()


@pytest.fixture
async def api(provider: Provider) -> AsyncIterator[tuple[OAuthApiClient, list[float]]]:
    transport = httpx.ASGITransport(app=provider.app())
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    tokens = ClientCredentials(
        token_url="https://provider.test/oauth/token",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        scopes=["people.read"],
        transport=transport,
        timeout=DEFAULT_TIMEOUT,
    )
    client = OAuthApiClient("https://provider.test", tokens, transport=transport, sleep=sleep)
    yield client, slept
    await client.aclose()


async def test_token_cached_across_calls(provider: Provider, api: tuple[OAuthApiClient, list[float]]) -> None:
    client, _ = api
    pages = [(await client.get("/v1/people", params={"page": p})).json()["people"] for p in (1, 2, 1)]
    assert pages == [["p1"], ["p2"], ["p1"]]
    assert provider.token_requests == 1


async def test_expired_token_refreshed_after_401(
    provider: Provider, api: tuple[OAuthApiClient, list[float]]
) -> None:
    client, _ = api
    assert (await client.get("/v1/people")).status_code == 200
    provider.expire_all()
    response = await client.get("/v1/people")
    assert response.status_code == 200
    assert provider.token_requests == 2


async def test_token_refetched_before_announced_expiry(
    provider: Provider, api: tuple[OAuthApiClient, list[float]]
) -> None:
    client, _ = api
    provider.expires_in = 20  # inside the 30 s safety margin: every call needs a fresh token
    await client.get("/v1/people")
    await client.get("/v1/people")
    assert provider.token_requests == 2


async def test_429_honours_retry_after(provider: Provider, api: tuple[OAuthApiClient, list[float]]) -> None:
    client, slept = api
    provider.throttle = [429, 503]
    response = await client.get("/v1/people")
    assert response.status_code == 200
    assert slept == [2.0, 2.0]


async def test_gives_up_after_attempts(provider: Provider, api: tuple[OAuthApiClient, list[float]]) -> None:
    client, slept = api
    provider.throttle = [503] * 10
    provider.retry_after = "1"
    response = await client.get("/v1/people")
    assert response.status_code == 503
    assert slept == [1.0, 1.0, 1.0]


async def test_wrong_secret_raises(provider: Provider) -> None:
    tokens = ClientCredentials(
        token_url="https://provider.test/oauth/token",
        client_id=CLIENT_ID,
        client_secret="wrong",
        transport=httpx.ASGITransport(app=provider.app()),
    )
    with pytest.raises(Exception, match="invalid_client"):
        await tokens.token()
    await tokens.aclose()
