import uuid

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from tandem_analytics.models import Vendor
from tandem_analytics.settings import Settings
from tandem_analytics.vendor_platform.sealing import unseal
from tandem_kit.testing import TestKeys, sessionmaker_of

URL = "/api/v1/analytics/vendors"


async def test_anonymous(client: httpx.AsyncClient) -> None:
    resp = await client.post(URL, json={"name": "BetterUp"})
    assert resp.status_code == 401
    assert resp.headers["content-type"] == "application/problem+json"


async def test_missing_scope(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.post(URL, json={"name": "BetterUp"}, headers=keys.headers("analytics:ingest"))
    assert resp.status_code == 403
    assert resp.json()["missing_scopes"] == ["admin"]


async def test_register_returns_secret_once_and_seals_it(
    client: httpx.AsyncClient, keys: TestKeys, app: FastAPI
) -> None:
    name = f"CoachHub-{uuid.uuid4().hex[:6]}"
    resp = await client.post(URL, json={"name": name, "client_id": "coachhub"}, headers=keys.headers("admin"))
    assert resp.status_code == 201
    body = resp.json()
    assert body["name"] == name
    assert body["client_id"] == "coachhub"
    assert body["secret"].startswith("whsec_")
    async with sessionmaker_of(app)() as session:
        row = await session.scalar(select(Vendor).where(Vendor.name == name))
    assert row is not None
    assert body["secret"].encode() not in row.secret_encrypted
    settings: Settings = app.state.settings
    assert unseal(settings.internal_secret.get_secret_value(), row.secret_encrypted) == body["secret"]

    listed = await client.get(URL, headers=keys.headers("admin"))
    mine = [v for v in listed.json() if v["name"] == name]
    assert mine == [
        {"id": body["id"], "name": name, "client_id": "coachhub", "created_at": body["created_at"]}
    ]


async def test_duplicate_name_is_conflict(client: httpx.AsyncClient, keys: TestKeys) -> None:
    name = f"Chronus-{uuid.uuid4().hex[:6]}"
    assert (await client.post(URL, json={"name": name}, headers=keys.headers("admin"))).status_code == 201
    resp = await client.post(URL, json={"name": name}, headers=keys.headers("admin"))
    assert resp.status_code == 409
    assert resp.json()["pointer"] == "#/name"


async def test_empty_name_names_field(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.post(URL, json={"name": ""}, headers=keys.headers("admin"))
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["pointer"] == "#/name"
