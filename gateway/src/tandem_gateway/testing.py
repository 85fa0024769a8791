"""Test helpers for the gateway (and for cross-service tests): settings, OAuth clients, tokens, servers."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import socket
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from authlib.jose import JsonWebKey, JsonWebToken
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp

from tandem_gateway.oauth import clients
from tandem_gateway.oauth.schemas import ClientCreate
from tandem_gateway.settings import Settings
from tandem_kit.embedded import free_port
from tandem_kit.testing import Infra, sessionmaker_of

GATEWAY_DIR = Path(__file__).resolve().parents[2]
ISSUER = "https://gateway.tandem.test"
INTERNAL_SECRET = "gateway-test-secret-0123456789"


def closed_port_url() -> str:
    """A URL where nothing listens (connection refused at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def gateway_settings(infra: Infra, *, database_url: str | None = None, **overrides: Any) -> Settings:
    down = closed_port_url()
    values: dict[str, Any] = {
        "environment": "test",
        "database_url": database_url or infra.database("gateway", GATEWAY_DIR),
        "nats_url": infra.nats.url,
        "issuer": ISSUER,
        "internal_secret": INTERNAL_SECRET,
        "jwks_refresh_seconds": 0.2,
        "key_publish_delay_seconds": 0.5,
        "auth_failure_limit": 3,
        "matching_url": down,
        "scheduling_url": down,
        "consent_url": down,
        "analytics_url": down,
        "graphql_subgraphs": (),
        "composition_retry_seconds": 0.2,
    }
    values.update(overrides)
    return Settings(**values)


@dataclass(frozen=True)
class Credentials:
    client_id: str
    secret: str

    @property
    def basic(self) -> dict[str, str]:
        raw = base64.b64encode(f"{self.client_id}:{self.secret}".encode()).decode()
        return {"Authorization": f"Basic {raw}"}


async def create_oauth_client(app: FastAPI, *scopes: str, name: str | None = None) -> Credentials:
    """A client in the app's current session scope (inside a rollback client's transaction if one is open)."""
    async with sessionmaker_of(app)() as session:
        data = ClientCreate(name=name or f"client-{uuid.uuid4().hex[:8]}", scopes=list(scopes) or ["all"])
        created, secret = await clients.create_client(session, None, data)
        await session.commit()
    return Credentials(created.client_id, secret)


async def fetch_token(
    http: httpx.AsyncClient, creds: Credentials, scope: str | None = None, **form: str
) -> str:
    data = {"grant_type": "client_credentials", **form}
    if scope is not None:
        data["scope"] = scope
    response = await http.post("/oauth/token", data=data, headers=creds.basic)
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@contextlib.asynccontextmanager
async def serve(app: ASGIApp, *, port: int | None = None) -> AsyncIterator[str]:
    """Serve an ASGI app (lifespan included) over real HTTP on 127.0.0.1; yields its base URL."""
    port = port or free_port()
    server = uvicorn.Server(
        # Without a graceful-shutdown bound, uvicorn waits for every open keep-alive connection.
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="auto",
            timeout_graceful_shutdown=5,
            timeout_keep_alive=75,  # as devstack runs the parts: longer than the gateway's pool keeps them
        )
    )
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("server stopped during start-up")
            await asyncio.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


class FakeIdp:
    """An enterprise IdP (Okta, Entra ID) as the gateway sees it: its own RSA keys published as a JWKS
    over HTTP (serve `app`, JWKS at `/keys`), RS256 user access tokens with iss/aud/sub/exp/nbf/iat,
    and key rotation (the new key signs, the old one stays published)."""

    def __init__(
        self, issuer: str = "https://idp.example.test/oauth2/default", audience: str = "api://tandem"
    ):
        self.issuer = issuer
        self.audience = audience
        self.keys: list[Any] = [self.new_key()]
        self.jwks_fetches = 0
        self.app = Starlette(routes=[Route("/keys", self._jwks)])

    @staticmethod
    def new_key(kid: str | None = None) -> Any:
        """A fresh RSA key; with the `kid` of a published key it makes a forged-signature token."""
        kid = kid or uuid.uuid4().hex[:16]
        return JsonWebKey.generate_key("RSA", 2048, is_private=True, options={"kid": kid})

    async def _jwks(self, _request: Request) -> JSONResponse:
        self.jwks_fetches += 1
        return JSONResponse(
            {"keys": [k.as_dict(is_private=False, alg="RS256", use="sig") for k in self.keys]}
        )

    def rotate(self) -> None:
        self.keys.insert(0, self.new_key())

    def token(
        self,
        person_id: str | None = None,
        groups: list[str] | None = None,
        *,
        sub: str = "00u1a2b3c4d5e6f7g8h9",
        expires_in: int = 3600,
        not_before_in: int | None = None,
        issued_in: int = 0,
        audience: str | None = None,
        issuer: str | None = None,
        key: Any = None,
        **claims: Any,
    ) -> str:
        """A user access token signed by the current key (or `key`)."""
        now = int(time.time())
        body: dict[str, Any] = {
            "iss": issuer or self.issuer,
            "aud": audience or self.audience,
            "sub": sub,
            "iat": now + issued_in,
            "exp": now + expires_in,
            "jti": uuid.uuid4().hex,
            "client_id": "0oa-front-end",
            **claims,
        }
        if not_before_in is not None:
            body["nbf"] = now + not_before_in
        if person_id is not None:
            body["tandem_person_id"] = person_id
        if groups is not None:
            body["groups"] = groups
        signer = key or self.keys[0]
        header = {"alg": "RS256", "typ": "JWT", "kid": signer.as_dict()["kid"]}
        raw: bytes = JsonWebToken(["RS256"]).encode(header, body, signer)
        return raw.decode()
