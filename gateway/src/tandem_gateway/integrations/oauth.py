"""Outbound calls to third-party APIs (HRIS, LMS, calendars, vendors) with OAuth 2.0 client credentials.

Tokens come from the kit's `ClientCredentials` (the one client-credentials cache, shared with the
services' calls to each other): cached until 30 s before expiry, and refetched once when the API answers
401 (a token revoked or expired early). Retries with backoff on 429/502/503/504 and transport
errors honour `Retry-After` (kit's `send_with_retries`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import httpx

from tandem_kit.oauth_client import ClientCredentials, send_with_retries

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=2.0)


class ApiTokens(Protocol):
    """Where an API client's bearer tokens come from: the kit's `ClientCredentials`, or an external
    connection's authorization-code tokens (`integrations/hris/`)."""

    async def token(self) -> str: ...

    def invalidate(self, token: str) -> None: ...

    async def aclose(self) -> None: ...


class OAuthApiClient:
    """An httpx client for one third-party API: bearer token, one refresh on 401, polite retries."""

    def __init__(
        self,
        base_url: str,
        tokens: ClientCredentials | ApiTokens,
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
