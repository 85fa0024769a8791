"""Provisioning tokens: an admin issues one per SCIM client (shown once, stored hashed), revokes it;
an Entra-style client provisions over real HTTP with it, and the HR events reach the outbox."""

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from tandem_gateway.models import ProvisioningToken
from tandem_gateway.testing import bearer, create_oauth_client, fetch_token, serve
from tandem_kit.events import outbox_messages
from tandem_kit.testing import asgi_client, running, sessionmaker_of

TokenFactory = Callable[..., Awaitable[str]]
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SCIM_JSON = {"content-type": "application/scim+json"}


async def issue(client: httpx.AsyncClient, admin: str, name: str = "entra-prod") -> dict[str, Any]:
    response = await client.post(
        "/api/v1/admin/scim-tokens", json={"client_name": name}, headers=bearer(admin)
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_issue_shows_the_secret_once_and_stores_a_hash(
    app: FastAPI, client: httpx.AsyncClient, token_for: TokenFactory
) -> None:
    admin = await token_for("admin")

    issued = await issue(client, admin)

    assert issued["token"].startswith("tscim_")
    assert issued["prefix"] == issued["token"][:12]
    listed = (await client.get("/api/v1/admin/scim-tokens", headers=bearer(admin))).json()
    assert [t["id"] for t in listed["items"]] == [issued["id"]]
    assert "token" not in listed["items"][0]
    async with sessionmaker_of(app)() as session:
        row = (await session.execute(select(ProvisioningToken))).scalar_one()
    assert issued["token"] not in (row.token_hash, row.prefix)
    assert len(row.token_hash) == 64


async def test_token_works_until_revoked(client: httpx.AsyncClient, token_for: TokenFactory) -> None:
    admin = await token_for("admin")
    issued = await issue(client, admin)
    scim = bearer(issued["token"])
    assert (await client.get("/scim/v2/Users", headers=scim)).status_code == 200

    revoked = await client.post(f"/api/v1/admin/scim-tokens/{issued['id']}/revoke", headers=bearer(admin))

    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    refused = await client.get("/scim/v2/Users", headers=scim)
    assert refused.status_code == 401
    assert (refused.json()["status"], refused.headers["content-type"]) == ("401", "application/scim+json")


async def test_unknown_token_is_401(client: httpx.AsyncClient) -> None:
    refused = await client.get("/scim/v2/Users", headers=bearer("tscim_not-a-token"))

    assert refused.status_code == 401


async def test_token_without_scim_scope_is_403(client: httpx.AsyncClient, token_for: TokenFactory) -> None:
    refused = await client.get("/scim/v2/Users", headers=bearer(await token_for("directory:read")))

    assert refused.status_code == 403
    assert refused.json()["status"] == "403"


async def test_issue_needs_admin(client: httpx.AsyncClient, token_for: TokenFactory) -> None:
    token = await token_for("scim:provision")

    refused = await client.post("/api/v1/admin/scim-tokens", json={"client_name": "x"}, headers=bearer(token))

    assert refused.status_code == 403


async def test_entra_sequence_over_http_with_a_provisioning_token(
    fresh_gateway: Callable[..., FastAPI],
) -> None:
    app = fresh_gateway()
    async with running(app), asgi_client(app) as local:
        admin = await fetch_token(local, await create_oauth_client(app, "admin"))
        issued = await issue(local, admin)
    async with (
        serve(app) as base_url,
        httpx.AsyncClient(
            base_url=f"{base_url}/scim/v2", headers={**bearer(issued["token"]), **SCIM_JSON}
        ) as entra,
    ):
        probe = await entra.get("/Users", params={"filter": 'userName eq "grace@contoso.com"'})
        assert probe.json()["totalResults"] == 0
        created = await entra.post(
            "/Users",
            json={"schemas": [USER], "userName": "grace@contoso.com", "active": True, "title": "Engineer"},
        )
        assert created.status_code == 201
        person_id = created.json()["id"]
        titled = await entra.patch(
            f"/Users/{person_id}",
            json={"schemas": [PATCH], "Operations": [{"op": "Replace", "path": "title", "value": "Lead"}]},
        )
        assert titled.status_code == 200
        off = await entra.patch(
            f"/Users/{person_id}",
            json={"schemas": [PATCH], "Operations": [{"op": "Replace", "path": "active", "value": "False"}]},
        )
        assert off.json()["active"] is False

    async with running(app), sessionmaker_of(app)() as session:
        rows = (
            await session.execute(select(outbox_messages.c.payload).order_by(outbox_messages.c.seq))
        ).all()
        token = (await session.execute(select(ProvisioningToken))).scalar_one()
    events = [(row.payload["type"], row.payload["data"]["person_id"]) for row in rows]
    assert events == [
        ("PersonProvisioned", person_id),
        ("PersonJobChanged", person_id),
        ("PersonDeactivated", person_id),
    ]
    assert token.last_used_at is not None
