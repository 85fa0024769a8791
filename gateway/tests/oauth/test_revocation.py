from collections.abc import Callable

import httpx
from fastapi import FastAPI

from tandem_gateway.testing import ISSUER, Credentials, bearer, create_oauth_client, fetch_token, serve
from tandem_kit.auth import TokenVerifier
from tandem_kit.errors import Unauthorized
from tandem_kit.testing import asgi_client, eventually, running


async def test_introspect_active(app: FastAPI, client: httpx.AsyncClient) -> None:
    creds = await create_oauth_client(app, "consent:read", "admin")
    token = await fetch_token(client, creds, scope="consent:read")
    response = await client.post("/oauth/introspect", data={"token": token}, headers=creds.basic)
    assert response.status_code == 200
    body = response.json()
    assert body["active"] is True
    assert body["client_id"] == creds.client_id
    assert body["scope"] == "consent:read"
    assert body["iss"] == ISSUER
    assert body["token_type"] == "Bearer"


async def test_introspect_garbage_inactive(app: FastAPI, client: httpx.AsyncClient) -> None:
    creds = await create_oauth_client(app, "consent:read")
    response = await client.post("/oauth/introspect", data={"token": "not.a.token"}, headers=creds.basic)
    assert response.json() == {"active": False}


async def test_introspect_needs_client_auth(client: httpx.AsyncClient) -> None:
    response = await client.post("/oauth/introspect", data={"token": "x"})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


async def test_revoke_other_clients_token_refused(app: FastAPI, client: httpx.AsyncClient) -> None:
    owner = await create_oauth_client(app, "consent:read")
    other = await create_oauth_client(app, "consent:read")
    token = await fetch_token(client, owner)
    response = await client.post("/oauth/revoke", data={"token": token}, headers=other.basic)
    assert response.status_code == 400
    assert response.json()["error"] == "unauthorized_client"


async def test_revoke_unknown_token_ok(app: FastAPI, client: httpx.AsyncClient) -> None:
    creds = await create_oauth_client(app, "consent:read")
    response = await client.post("/oauth/revoke", data={"token": "junk"}, headers=creds.basic)
    assert response.status_code == 200


async def test_revoked_token_refused_everywhere(fresh_gateway: Callable[..., FastAPI]) -> None:
    """Committed revocation: refused at once by the gateway, by a service verifier after its refresh."""
    app = fresh_gateway()
    async with running(app), asgi_client(app) as http:
        admin = await create_oauth_client(app, "all")
        creds = await create_oauth_client(app, "consent:read", "admin")
        token = await fetch_token(http, creds)
        assert (await http.get("/api/v1/admin/clients", headers=bearer(token))).status_code == 200

        async with serve(app) as base_url:
            verifier = TokenVerifier(
                issuer=ISSUER,
                audiences={"consent", "tandem"},
                jwks_url=f"{base_url}/.well-known/jwks.json",
                revocation_list_url=f"{base_url}/oauth/revoked",
                refresh_seconds=0.2,
            )
            assert (await verifier.verify(token)).client_id == creds.client_id

            revoke = await http.post("/oauth/revoke", data={"token": token}, headers=creds.basic)
            assert revoke.status_code == 200
            refused = await http.get("/api/v1/admin/clients", headers=bearer(token))
            assert refused.status_code == 401
            assert refused.json()["detail"] == "The access token has been revoked."
            jti = (await verifier.verify(await fetch_token(http, admin))).token_id
            assert jti not in (await http.get("/oauth/revoked")).json()["revoked"]
            assert len((await http.get("/oauth/revoked")).json()["revoked"]) == 1

            async def service_refuses() -> bool:
                try:
                    await verifier.verify(token)
                except Unauthorized:
                    return True
                return False

            assert await eventually(service_refuses, timeout=5)
            introspected = await http.post("/oauth/introspect", data={"token": token}, headers=admin.basic)
            assert introspected.json() == {"active": False}
            await verifier.aclose()


async def test_wrong_credentials_for_revoke(app: FastAPI, client: httpx.AsyncClient) -> None:
    creds = await create_oauth_client(app, "consent:read")
    response = await client.post(
        "/oauth/revoke", data={"token": "x"}, headers=Credentials(creds.client_id, "nope").basic
    )
    assert response.status_code == 401
