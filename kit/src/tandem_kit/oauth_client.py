"""Outbound OAuth 2.0: client-credentials tokens (cached, refreshed) and polite retries.

Used for service-to-service calls through the gateway's token endpoint and for third-party APIs (the
gateway's HRIS, LMS and calendar integrations): one token cache for both.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from email.utils import parsedate_to_datetime
from typing import Any, Literal, Protocol

import httpx
from authlib.integrations.httpx_client import AsyncOAuth2Client

from tandem_kit.settings import CallerSettings

RETRY_STATUSES = frozenset({429, 502, 503, 504})
EXPIRY_MARGIN_SECONDS = 30.0  # a token this close to its expiry is refetched, not sent
AuthMethod = Literal["client_secret_basic", "client_secret_post"]


class TokenSource(Protocol):
    async def token(self) -> str: ...


class ClientCredentials:
    """Client-credentials tokens from `token_url`, reused until 30 s before they expire; `invalidate`
    drops one an API refused before its announced expiry. One fetch at a time (a lock), so callers
    waiting on an expired token share the new one."""

    def __init__(
        self,
        *,
        token_url: str,
        client_id: str,
        client_secret: str,
        scopes: Iterable[str] = (),
        auth_method: AuthMethod = "client_secret_basic",
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float | httpx.Timeout = 5.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.token_url = token_url
        self.clock = clock
        self._client = AsyncOAuth2Client(
            client_id=client_id,
            client_secret=client_secret,
            scope=" ".join(scopes) or None,
            token_endpoint_auth_method=auth_method,
            timeout=timeout,
            transport=transport,
        )
        self._token: dict[str, Any] | None = None
        self._lock = asyncio.Lock()

    async def token(self) -> str:
        async with self._lock:
            if (
                self._token is None
                or float(self._token.get("expires_at", 0)) - EXPIRY_MARGIN_SECONDS < self.clock()
            ):
                fetched = dict(
                    await self._client.fetch_token(self.token_url, grant_type="client_credentials")
                )
                if "expires_at" not in fetched and "expires_in" in fetched:
                    fetched["expires_at"] = self.clock() + float(fetched["expires_in"])
                self._token = fetched
            return str(self._token["access_token"])

    def invalidate(self, token: str) -> None:
        """Forget `token` (if it is still the cached one) so the next call fetches a new one."""
        if self._token is not None and self._token.get("access_token") == token:
            self._token = None

    async def aclose(self) -> None:
        await self._client.aclose()


class StaticToken:
    """A token minted elsewhere (tests, one-off scripts)."""

    def __init__(self, factory: Callable[[], str]) -> None:
        self._factory = factory

    async def token(self) -> str:
        return self._factory()


def retry_after_seconds(response: httpx.Response, default: float) -> float:
    value = response.headers.get("retry-after")
    if value is None:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, float(parsedate_to_datetime(value).timestamp()) - time.time())
        except (TypeError, ValueError):
            return default


async def send_with_retries(
    send: Callable[[], Awaitable[httpx.Response]],
    *,
    attempts: int = 4,
    backoff: float = 0.2,
    max_wait: float = 10.0,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> httpx.Response:
    """Retry on 429/502/503/504 and transport errors, honouring `Retry-After`, with exponential backoff."""
    for attempt in range(attempts):
        last = attempt == attempts - 1
        try:
            response = await send()
        except httpx.TransportError:
            if last:
                raise
            await sleep(min(backoff * 2**attempt, max_wait))
            continue
        if response.status_code not in RETRY_STATUSES or last:
            return response
        await sleep(min(retry_after_seconds(response, backoff * 2**attempt), max_wait))
    raise AssertionError("unreachable")


class ServiceClient:
    """An httpx client for another Tandem service: bearer token from `tokens`, retries, timeouts."""

    def __init__(
        self,
        base_url: str,
        tokens: TokenSource,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 5.0,
    ) -> None:
        self.tokens = tokens
        self.http = httpx.AsyncClient(base_url=base_url, transport=transport, timeout=httpx.Timeout(timeout))

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        async def send() -> httpx.Response:
            headers = {**kwargs.pop("headers", {}), "Authorization": f"Bearer {await self.tokens.token()}"}
            return await self.http.request(method, url, headers=headers, **kwargs)

        return await send_with_retries(send)

    async def aclose(self) -> None:
        await self.http.aclose()
        if isinstance(self.tokens, ClientCredentials):
            await self.tokens.aclose()


def service_client(settings: CallerSettings, base_url: str, scopes: Iterable[str]) -> ServiceClient:
    """A client for another Tandem service, with this service's client-credentials tokens."""
    tokens = ClientCredentials(
        token_url=settings.token_url,
        client_id=settings.client_id,
        client_secret=settings.client_secret.get_secret_value(),
        scopes=scopes,
    )
    return ServiceClient(base_url, tokens)


def own_or_given(
    given: ServiceClient | None, make: Callable[[], ServiceClient]
) -> tuple[ServiceClient, list[Callable[[Any], Awaitable[None]]]]:
    """The client an app uses, and the shutdown hooks that close it: a client the app made itself
    is closed with the app; one passed in (tests) belongs to the caller."""
    if given is not None:
        return given, []
    client = make()

    async def close(_: Any) -> None:
        await client.aclose()

    return client, [close]
