"""Statements out: an organisation's LRS reached with HTTP Basic or OAuth 2.0 client credentials, and
consent's checks API asked with a token the gateway mints for itself from its own keystore (the gateway
is the authorization server: asking itself for a token over HTTP would only add a hop)."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any
from uuid import UUID

import httpx
import structlog
from authlib.common.errors import AuthlibBaseError as OAuthError

from tandem_gateway.models import LrsConnection
from tandem_gateway.oauth.keys import KeyStore
from tandem_gateway.oauth.service import sign_access_token
from tandem_gateway.settings import Settings
from tandem_kit.errors import ServiceUnavailable
from tandem_kit.oauth_client import ClientCredentials, send_with_retries
from tandem_kit.sealing import fernet_for

log = structlog.get_logger("tandem.gateway.xapi.lrs")

SEALING_INFO = b"tandem-gateway-lrs-secret"
XAPI_VERSION = "1.0.3"  # what most LRSs accept; 2.0 LRSs accept 1.0.3 statements too


class ConsentUnavailable(ServiceUnavailable):
    code, title = "consent-unavailable", "Consent cannot be checked right now"


class LrsRefused(Exception):
    """The LRS did not take the statement after every try (the event is retried, then parked)."""


def seal(settings: Settings, secret: str) -> str:
    return (
        fernet_for(settings.internal_secret.get_secret_value(), info=SEALING_INFO)
        .encrypt(secret.encode())
        .decode()
    )


def unseal(settings: Settings, sealed: str) -> str:
    return fernet_for(settings.internal_secret.get_secret_value(), info=SEALING_INFO).decrypt(sealed).decode()


class Outbound:
    """One HTTP pool for every LRS, token caches per OAuth connection, polite retries."""

    def __init__(
        self,
        settings: Settings,
        keystore: KeyStore,
        *,
        http: httpx.AsyncClient,
        sleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        self.settings = settings
        self.keystore = keystore
        self.http = http
        self.sleep = sleep
        self._tokens: dict[UUID, ClientCredentials] = {}

    async def _authorization(self, connection: LrsConnection) -> str:
        secret = unseal(self.settings, connection.secret_sealed)
        if connection.auth == "basic":
            raw = base64.b64encode(f"{connection.username}:{secret}".encode()).decode()
            return f"Basic {raw}"
        tokens = self._tokens.get(connection.id)
        if tokens is None:
            assert connection.token_url is not None
            tokens = self._tokens[connection.id] = ClientCredentials(
                token_url=connection.token_url,
                client_id=connection.username,
                client_secret=secret,
                scopes=(connection.scope or "").split(),
            )
        return f"Bearer {await tokens.token()}"

    async def send(self, connection: LrsConnection, statement: dict[str, Any]) -> None:
        """PUT the statement under its own id: a repeat is a no-op at the LRS (204), never a second one."""
        url = connection.endpoint.rstrip("/") + "/statements"

        async def once() -> httpx.Response:
            headers = {
                "Authorization": await self._authorization(connection),
                "X-Experience-API-Version": XAPI_VERSION,
            }
            response = await self.http.put(
                url, params={"statementId": statement["id"]}, json=statement, headers=headers
            )
            if response.status_code == 401 and connection.auth == "oauth":
                # The LRS dropped the token before its announced expiry: fetch a new one, once.
                self._tokens[connection.id].invalidate(headers["Authorization"].removeprefix("Bearer "))
                headers["Authorization"] = await self._authorization(connection)
                response = await self.http.put(
                    url, params={"statementId": statement["id"]}, json=statement, headers=headers
                )
            return response

        kwargs: dict[str, Any] = {"sleep": self.sleep} if self.sleep is not None else {}
        try:
            response = await send_with_retries(
                once,
                attempts=self.settings.xapi.send_attempts,
                backoff=0.2,
                max_wait=self.settings.xapi.send_max_wait_seconds,
                **kwargs,
            )
        except (httpx.HTTPError, OAuthError) as exc:
            # Unreachable, or its token endpoint refused the client: the same as a refused statement.
            raise LrsRefused(f"{connection.organisation}: {type(exc).__name__}") from exc
        if response.status_code not in (200, 204):
            log.warning(
                "gateway.xapi.lrs_refused",
                organisation=connection.organisation,
                status=response.status_code,
                statement_id=statement["id"],
            )
            raise LrsRefused(f"{connection.organisation}: HTTP {response.status_code}")
        log.info(
            "gateway.xapi.statement_sent", organisation=connection.organisation, statement_id=statement["id"]
        )

    def _own_token(self) -> str:
        token, _ = sign_access_token(
            self.keystore,
            issuer=self.settings.issuer,
            subject="gateway",
            client_id="gateway",
            client_name="gateway",
            audience="consent",
            scopes=["consent:read"],
            ttl=timedelta(seconds=60),
        )
        return token

    async def consenting(self, person_ids: Sequence[UUID]) -> set[UUID]:
        """The people who granted the LRS reporting purpose (consent's checks API)."""
        if not person_ids:
            return set()
        url = self.settings.service_url("consent") + "/api/v1/consent/checks"
        body = {"person_ids": [str(p) for p in person_ids], "purpose": self.settings.xapi.consent_purpose}

        async def once() -> httpx.Response:
            headers = {"Authorization": f"Bearer {self._own_token()}"}
            return await self.http.post(url, json=body, headers=headers)

        try:
            response = await send_with_retries(once)
            response.raise_for_status()
            return {UUID(r["person_id"]) for r in response.json()["results"] if r["granted"]}
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            # Nothing goes out unchecked: the caller answers 503, a consumer retries the event.
            log.warning("gateway.xapi.consent_check_failed", error_type=type(exc).__name__)
            raise ConsentUnavailable(
                "Consent could not be checked; retry shortly.", headers={"Retry-After": "5"}
            ) from exc

    async def aclose(self) -> None:
        for tokens in self._tokens.values():
            await tokens.aclose()
        await self.http.aclose()
