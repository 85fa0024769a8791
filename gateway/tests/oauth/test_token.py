import base64
import time

import httpx
import jwt
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from tandem_gateway.models import OAuthClient
from tandem_gateway.testing import ISSUER, Credentials, create_oauth_client, fetch_token
from tandem_kit.testing import sessionmaker_of


async def jwks_client_key(client: httpx.AsyncClient, token: str) -> jwt.PyJWK:
    kid = jwt.get_unverified_header(token)["kid"]
    keys = (await client.get("/.well-known/jwks.json")).json()["keys"]
    return jwt.PyJWK(next(k for k in keys if k["kid"] == kid))


async def test_issue_basic_verified_with_pyjwt(app: FastAPI, client: httpx.AsyncClient) -> None:
    name = f"scheduling-{time.time_ns()}"
    creds = await create_oauth_client(app, "consent:read", "matching:read", name=name)
    response = await client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "scope": "consent:read"},
        headers=creds.basic,
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert body["scope"] == "consent:read"
    token = body["access_token"]
    header = jwt.get_unverified_header(token)
    assert header["typ"] == "at+jwt"
    assert header["alg"] == "ES256"
    key = await jwks_client_key(client, token)
    claims = jwt.decode(token, key.key, algorithms=["ES256"], audience="tandem", issuer=ISSUER)
    assert claims["sub"] == creds.client_id
    assert claims["client_id"] == creds.client_id
    assert claims["client_name"] == name  # how a service tells which service is calling
    assert claims["scope"] == "consent:read"
    assert claims["exp"] - claims["iat"] == 900
    assert abs(claims["iat"] - time.time()) < 5
    assert len(claims["jti"]) == 32


async def test_issue_client_secret_post_all_scopes(app: FastAPI, client: httpx.AsyncClient) -> None:
    creds = await create_oauth_client(app, "analytics:read", "analytics:ingest")
    response = await client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": creds.client_id,
            "client_secret": creds.secret,
        },
    )
    assert response.status_code == 200
    assert response.json()["scope"] == "analytics:read analytics:ingest"


async def test_resource_sets_audience(app: FastAPI, client: httpx.AsyncClient) -> None:
    creds = await create_oauth_client(app, "consent:read")
    token = await fetch_token(client, creds, resource="consent")
    assert jwt.decode(token, options={"verify_signature": False})["aud"] == "consent"


async def test_unknown_resource_invalid_target(app: FastAPI, client: httpx.AsyncClient) -> None:
    creds = await create_oauth_client(app, "consent:read")
    response = await client.post(
        "/oauth/token", data={"grant_type": "client_credentials", "resource": "payroll"}, headers=creds.basic
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_target"


async def test_wrong_secret_invalid_client(app: FastAPI, client: httpx.AsyncClient) -> None:
    creds = await create_oauth_client(app, "consent:read")
    wrong = Credentials(creds.client_id, "not-the-secret")
    response = await client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, headers=wrong.basic
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.headers["www-authenticate"].startswith("Basic")


async def test_unknown_client_invalid_client(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": "tc_nobody", "client_secret": "x"},
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


async def test_no_credentials_invalid_client(client: httpx.AsyncClient) -> None:
    response = await client.post("/oauth/token", data={"grant_type": "client_credentials"})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


@pytest.mark.parametrize("path", ["/oauth/token", "/oauth/revoke", "/oauth/introspect"])
@pytest.mark.parametrize("how", ["basic", "post"])
async def test_nul_in_client_id_invalid_client(client: httpx.AsyncClient, path: str, how: str) -> None:
    # PostgreSQL text cannot hold NUL: such an id must be refused before it reaches the lookup (was a 500).
    # In Basic credentials the client cannot be authenticated (401 invalid_client); in the form body
    # a NUL is a malformed request, refused before any client is looked up (400 invalid_request).
    if how == "basic":
        response = await client.post(path, data={"token": "t"}, auth=("tc_\x00", "secret"))
        assert (response.status_code, response.json()["error"]) == (401, "invalid_client")
    else:
        response = await client.post(path, data={"token": "t", "client_id": "tc_\x00", "client_secret": "s"})
        assert (response.status_code, response.json()["error"]) == (400, "invalid_request")


async def test_malformed_basic_invalid_client(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, headers={"Authorization": "Basic !!!"}
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


async def test_unsupported_grant_type(app: FastAPI, client: httpx.AsyncClient) -> None:
    creds = await create_oauth_client(app, "consent:read")
    response = await client.post("/oauth/token", data={"grant_type": "password"}, headers=creds.basic)
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


async def test_scope_not_allowed(app: FastAPI, client: httpx.AsyncClient) -> None:
    creds = await create_oauth_client(app, "consent:read")
    response = await client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "scope": "consent:read admin"},
        headers=creds.basic,
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


async def test_json_body_invalid_request(app: FastAPI, client: httpx.AsyncClient) -> None:
    creds = await create_oauth_client(app, "consent:read")
    response = await client.post(
        "/oauth/token", json={"grant_type": "client_credentials"}, headers=creds.basic
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def from_source(app: FastAPI, host: str) -> httpx.AsyncClient:
    """A client whose requests come from `host` (inside the test's transaction, like `client`)."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(host, 40000)), base_url="http://testserver"
    )


async def _statuses(http: httpx.AsyncClient, creds: Credentials, times: int) -> list[int]:
    return [
        (
            await http.post("/oauth/token", data={"grant_type": "client_credentials"}, headers=creds.basic)
        ).status_code
        for _ in range(times)
    ]


async def test_repeated_failures_throttle_the_source(app: FastAPI, client: httpx.AsyncClient) -> None:
    creds = await create_oauth_client(app, "consent:read")
    other = await create_oauth_client(app, "consent:read")
    async with from_source(app, "203.0.113.7") as attacker:
        assert await _statuses(attacker, Credentials(creds.client_id, "wrong"), 3) == [401, 401, 401]
        # Past the limit the source's failures are 429, for any client id it names.
        limited = await attacker.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            headers=Credentials(other.client_id, "wrong").basic,
        )
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert limited.json()["error"] == "temporarily_unavailable"


async def test_failures_never_lock_the_client_out(app: FastAPI, client: httpx.AsyncClient) -> None:
    """Ten wrong secrets for a client id, from one source, do not stop the client: the right secret
    still gets a token from another source and from the throttled source itself."""
    creds = await create_oauth_client(app, "consent:read")
    async with from_source(app, "203.0.113.8") as attacker, from_source(app, "198.51.100.20") as owner:
        wrong = await _statuses(attacker, Credentials(creds.client_id, "wrong"), 10)
        assert wrong == [401] * 3 + [429] * 7
        assert await _statuses(owner, creds, 1) == [200]
        assert await _statuses(attacker, creds, 1) == [200]
        # The owner's source was never throttled: its own failure is a plain 401.
        assert await _statuses(owner, Credentials(creds.client_id, "typo"), 1) == [401]


async def test_secret_stored_hashed(app: FastAPI, client: httpx.AsyncClient) -> None:
    creds = await create_oauth_client(app, "consent:read")
    async with sessionmaker_of(app)() as session:
        row = await session.scalar(select(OAuthClient).where(OAuthClient.client_id == creds.client_id))
    assert row is not None
    assert creds.secret not in row.secret_hash
    assert row.secret_hash.startswith("scrypt$16384$8$1$")
    assert base64.urlsafe_b64decode(row.secret_hash.split("$")[-1]) != creds.secret.encode()


async def test_disabled_client_refused(app: FastAPI, client: httpx.AsyncClient) -> None:
    creds = await create_oauth_client(app, "consent:read")
    async with sessionmaker_of(app)() as session:
        row = await session.scalar(select(OAuthClient).where(OAuthClient.client_id == creds.client_id))
        assert row is not None
        row.enabled = False
        await session.commit()
    response = await client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, headers=creds.basic
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


async def test_metadata(client: httpx.AsyncClient) -> None:
    response = await client.get("/.well-known/oauth-authorization-server")
    assert response.status_code == 200
    body = response.json()
    assert body["issuer"] == ISSUER
    assert body["token_endpoint"] == f"{ISSUER}/oauth/token"
    assert body["jwks_uri"] == f"{ISSUER}/.well-known/jwks.json"
    assert body["grant_types_supported"] == ["client_credentials"]
    assert body["token_endpoint_auth_methods_supported"] == ["client_secret_basic", "client_secret_post"]
    assert "analytics:ingest" in body["scopes_supported"]


async def test_jwks_publishes_only_public_keys(client: httpx.AsyncClient) -> None:
    keys = (await client.get("/.well-known/jwks.json")).json()["keys"]
    assert len(keys) >= 1
    assert all(k["kty"] == "EC" and k["alg"] == "ES256" and "d" not in k for k in keys)
