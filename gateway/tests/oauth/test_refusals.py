"""Bad tokens are refused by the gateway and by the verifier every service runs (tandem_kit.auth)."""

import base64
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from authlib.jose import JsonWebKey, jwt
from fastapi import FastAPI

from tandem_gateway.oauth.keys import KeyStore
from tandem_gateway.oauth.service import sign_access_token
from tandem_gateway.testing import ISSUER, bearer
from tandem_kit.auth import TokenVerifier
from tandem_kit.errors import Unauthorized


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _sign(keystore: KeyStore, **overrides: Any) -> str:
    options: dict[str, Any] = {
        "issuer": ISSUER,
        "subject": "tc_test",
        "client_id": "tc_test",
        "audience": "tandem",
        "scopes": ["admin"],
        "ttl": timedelta(seconds=300),
    }
    options.update(overrides)
    token, _ = sign_access_token(keystore, **options)
    return token


def expired(keystore: KeyStore) -> str:
    return _sign(keystore, ttl=timedelta(seconds=-60))


def wrong_audience(keystore: KeyStore) -> str:
    return _sign(keystore, audience="payroll")


def wrong_issuer(keystore: KeyStore) -> str:
    return _sign(keystore, issuer="https://evil.example")


def unknown_kid(keystore: KeyStore) -> str:
    good = _sign(keystore)
    other = JsonWebKey.generate_key("EC", "P-256", is_private=True)
    claims = json.loads(base64.urlsafe_b64decode(good.split(".")[1] + "=="))
    raw: bytes = jwt.encode({"alg": "ES256", "typ": "at+jwt", "kid": "unknown-kid"}, claims, other)
    return raw.decode()


def alg_none(keystore: KeyStore) -> str:
    head, payload, _ = _sign(keystore).split(".")
    header = json.loads(base64.urlsafe_b64decode(head + "=="))
    return f"{_b64({**header, 'alg': 'none'})}.{payload}."


def tampered(keystore: KeyStore) -> str:
    head, payload, signature = _sign(keystore, scopes=["consent:read"]).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    return f"{head}.{_b64({**claims, 'scope': 'admin'})}.{signature}"


BAD_TOKENS: dict[str, Callable[[KeyStore], str]] = {
    "expired": expired,
    "wrong_audience": wrong_audience,
    "wrong_issuer": wrong_issuer,
    "unknown_kid": unknown_kid,
    "alg_none": alg_none,
    "tampered": tampered,
}


async def test_good_token_accepted(app: FastAPI, client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/admin/clients", headers=bearer(_sign(app.state.keystore)))
    assert response.status_code == 200


@pytest.mark.parametrize("kind", sorted(BAD_TOKENS))
async def test_refused_by_gateway(kind: str, app: FastAPI, client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/admin/clients", headers=bearer(BAD_TOKENS[kind](app.state.keystore)))
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("kind", sorted(BAD_TOKENS))
async def test_refused_by_service_verifier(kind: str, app: FastAPI, client: httpx.AsyncClient) -> None:
    jwks = (await client.get("/.well-known/jwks.json")).json()
    verifier = TokenVerifier(issuer=ISSUER, audiences={"consent", "tandem"}, jwks=jwks)
    assert (await verifier.verify(_sign(app.state.keystore))).scopes == frozenset({"admin"})
    with pytest.raises(Unauthorized):
        await verifier.verify(BAD_TOKENS[kind](app.state.keystore))
    await verifier.aclose()
