"""Outbound calls to third-party APIs (HRIS, LMS, calendars, vendors) with OAuth 2.0 client credentials.

Tokens come from authlib's async client, are cached until 30 s before expiry and refetched once when the
API answers 401 (a token revoked or expired early). Retries with backoff on 429/502/503/504 and transport
errors honour `Retry-After` (kit's `send_with_retries`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Literal

import httpx
from authlib.integrations.httpx_client import AsyncOAuth2Client

from tandem_kit.oauth_client import send_with_retries

AuthMethod = Literal["client_secret_basic", "client_secret_post"]
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=2.0)


class OAuthTokens:
    """Client-credentials tokens for one provider (a `tandem_kit.oauth_client.TokenSource`)."""

    def __init__(
        self,
        *,
        token_url: str,
        client_id: str,
        client_secret: str,
        scopes: Iterable[str] = (),
        auth_method: AuthMethod = "client_secret_basic",
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.token_url = token_url
        self.clock = clock
        self.fetches = 0
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
            if self._token is None or float(self._token.get("expires_at", 0)) - 30 < self.clock():
                self.fetches += 1
                fetched = await self._client.fetch_token(self.token_url, grant_type="client_credentials")
                self._token = dict(fetched)
                if "expires_at" not in self._token and "expires_in" in self._token:
                    self._token["expires_at"] = self.clock() + float(self._token["expires_in"])
            return str(self._token["access_token"])

    def invalidate(self, token: str) -> None:
        """Forget `token` (if it is still the cached one) so the next call fetches a new one."""
        if self._token is not None and self._token.get("access_token") == token:
            self._token = None

    async def aclose(self) -> None:
        await self._client.aclose()


class OAuthApiClient:
    """An httpx client for one third-party API: bearer token, one refresh on 401, polite retries."""

    def __init__(
        self,
        base_url: str,
        tokens: OAuthTokens,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        attempts: int = 4,
        backoff: float = 0.2,
        max_wait: float = 30.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.tokens = tokens
        self.http = httpx.AsyncClient(base_url=base_url, transport=transport, timeout=timeout)
        self.attempts, self.backoff, self.max_wait, self.sleep = attempts, backoff, max_wait, sleep

    async def _send_once(
        self, method: str, url: str, headers: dict[str, str], kwargs: dict[str, Any]
    ) -> httpx.Response:
        token = await self.tokens.token()
        response = await self.http.request(
            method, url, headers={**headers, "Authorization": f"Bearer {token}"}, **kwargs
        )
        if response.status_code == 401:
            # The provider dropped the token before its announced expiry: refetch once, then give up.
            self.tokens.invalidate(token)
            token = await self.tokens.token()
            response = await self.http.request(
                method, url, headers={**headers, "Authorization": f"Bearer {token}"}, **kwargs
            )
        return response

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        return await send_with_retries(
            lambda: self._send_once(method, url, headers, kwargs),
            attempts=self.attempts,
            backoff=self.backoff,
            max_wait=self.max_wait,
            sleep=self.sleep,
        )

    async def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("GET", url, **kwargs)

    async def aclose(self) -> None:
        await self.http.aclose()
        await self.tokens.aclose()
