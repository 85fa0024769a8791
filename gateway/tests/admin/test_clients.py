import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from tandem_gateway.testing import Credentials, bearer

TokenFactory = Callable[..., Awaitable[str]]


async def _create(client: httpx.AsyncClient, admin: str, name: str, scopes: list[str]) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/admin/clients", json={"name": name, "scopes": scopes}, headers=bearer(admin)
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_anonymous(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/admin/clients")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


async def test_missing_scope(client: httpx.AsyncClient, token_for: TokenFactory) -> None:
    response = await client.get("/api/v1/admin/clients", headers=bearer(await token_for("consent:read")))
    assert response.status_code == 403
    assert response.json()["missing_scopes"] == ["admin"]


async def test_create_shows_secret_once(client: httpx.AsyncClient, token_for: TokenFactory) -> None:
    admin = await token_for("admin")
    created = await _create(client, admin, "hris-workday", ["consent:read", "matching:read"])
    assert created["client_secret"]
    assert created["scopes"] == ["matching:read", "consent:read"]
    listed = (await client.get("/api/v1/admin/clients", headers=bearer(admin))).json()
    mine = next(c for c in listed["items"] if c["client_id"] == created["client_id"])
    assert mine["name"] == "hris-workday"
    assert "client_secret" not in mine
    token = await client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers=Credentials(created["client_id"], created["client_secret"]).basic,
    )
    assert token.json()["scope"] == "matching:read consent:read"


async def test_create_duplicate_name_conflict(client: httpx.AsyncClient, token_for: TokenFactory) -> None:
    admin = await token_for("admin")
    await _create(client, admin, "lms-degreed", ["analytics:ingest"])
    response = await client.post(
        "/api/v1/admin/clients",
        json={"name": "lms-degreed", "scopes": ["analytics:ingest"]},
        headers=bearer(admin),
    )
    assert response.status_code == 409
    assert response.json()["pointer"] == "#/name"


async def test_create_unknown_scope_422(client: httpx.AsyncClient, token_for: TokenFactory) -> None:
    response = await client.post(
        "/api/v1/admin/clients",
        json={"name": "x", "scopes": ["payroll:read"]},
        headers=bearer(await token_for("admin")),
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "#/scopes"


async def test_rotate_secret(client: httpx.AsyncClient, token_for: TokenFactory) -> None:
    admin = await token_for("admin")
    created = await _create(client, admin, "vendor-betterup", ["analytics:ingest"])
    rotated = await client.post(
        f"/api/v1/admin/clients/{created['client_id']}/secret:rotate", headers=bearer(admin)
    )
    assert rotated.status_code == 200
    new_secret = rotated.json()["client_secret"]
    assert new_secret != created["client_secret"]
    old = Credentials(created["client_id"], created["client_secret"])
    new = Credentials(created["client_id"], new_secret)
    form = {"grant_type": "client_credentials"}
    assert (await client.post("/oauth/token", data=form, headers=old.basic)).status_code == 401
    assert (await client.post("/oauth/token", data=form, headers=new.basic)).status_code == 200


async def test_disable(client: httpx.AsyncClient, token_for: TokenFactory) -> None:
    admin = await token_for("admin")
    created = await _create(client, admin, "old-vendor", ["analytics:ingest"])
    disabled = await client.post(
        f"/api/v1/admin/clients/{created['client_id']}/disable", headers=bearer(admin)
    )
    assert disabled.status_code == 200
    assert disabled.json()["enabled"] is False
    creds = Credentials(created["client_id"], created["client_secret"])
    response = await client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, headers=creds.basic
    )
    assert response.status_code == 401


async def test_unknown_client_not_found(client: httpx.AsyncClient, token_for: TokenFactory) -> None:
    response = await client.get("/api/v1/admin/clients/tc_nobody", headers=bearer(await token_for("admin")))
    assert response.status_code == 404
    assert response.json()["type"] == "https://tandem.dev/problems/client-not-found"


async def test_clients_are_listed_a_page_at_a_time(
    client: httpx.AsyncClient, token_for: TokenFactory
) -> None:
    admin = await token_for("admin")
    for n in range(3):
        await _create(client, admin, f"paged-{n}-{uuid.uuid4().hex[:6]}", ["consent:read"])
    everything = (await client.get("/api/v1/admin/clients", headers=bearer(admin))).json()
    seen: list[str] = []
    offset = 0
    while offset < everything["total"]:
        page = (
            await client.get(
                "/api/v1/admin/clients", params={"limit": 2, "offset": offset}, headers=bearer(admin)
            )
        ).json()
        assert page["total"] == everything["total"]
        assert len(page["items"]) <= 2
        seen += [c["client_id"] for c in page["items"]]
        offset += 2
    assert seen == [c["client_id"] for c in everything["items"]]
    assert len(set(seen)) == everything["total"] >= 3


async def test_token_for_a_service_refused_by_the_admin_api(
    client: httpx.AsyncClient, token_for: TokenFactory
) -> None:
    """Issue 9, item 4: `aud=matching` with `admin` opens matching's admin routes, not the gateway's."""
    for_matching = await token_for("admin", resource="matching")
    created = await client.post(
        "/api/v1/admin/clients", json={"name": "sneaky", "scopes": ["admin"]}, headers=bearer(for_matching)
    )
    listed = await client.get("/api/v1/admin/keys", headers=bearer(for_matching))
    graph = await client.post("/graphql", json={"query": "{ __typename }"}, headers=bearer(for_matching))
    assert (created.status_code, listed.status_code, graph.status_code) == (401, 401, 401)
    assert created.json()["detail"] == (
        "The access token is not meant for this service (aud must be one of: gateway tandem)."
    )
    for_gateway = await token_for("admin", resource="gateway")
    assert (await client.get("/api/v1/admin/keys", headers=bearer(for_gateway))).status_code == 200
