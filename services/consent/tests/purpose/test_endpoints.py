import httpx
from tandem_kit.testing import TestKeys

URL = "/api/v1/consent/purposes"


async def test_anonymous(client: httpx.AsyncClient) -> None:
    resp = await client.get(URL)
    assert resp.status_code == 401, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
    assert resp.headers["www-authenticate"] == "Bearer"


async def test_missing_scope(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.get(URL, headers=keys.headers("matching:read"))
    assert resp.status_code == 403
    assert resp.json()["missing_scopes"] == ["consent:read"]


async def test_list_seeded(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.get(URL, headers=keys.headers("consent:read"))
    assert resp.status_code == 200
    assert [p["key"] for p in resp.json()] == ["analytics", "handoff", "matching", "vendor_sharing"]


async def test_create_invalid_key_names_field(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.post(
        URL, json={"key": "Bad Key", "title": "x", "description": "y"}, headers=keys.headers("consent:write")
    )
    assert resp.status_code == 422
    body = resp.json()
    assert body["errors"][0]["pointer"] == "#/key"
    assert "#/key" in body["detail"]


async def test_wrong_content_type(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.post(
        URL, content=b"key=x", headers={**keys.headers("consent:write"), "content-type": "text/plain"}
    )
    assert resp.status_code == 415
    assert resp.headers["content-type"] == "application/problem+json"


async def test_update_description_bumps_notice(client: httpx.AsyncClient, keys: TestKeys) -> None:
    headers = keys.headers("consent:write", "consent:read")
    created = await client.post(
        URL, json={"key": "coaching_notes", "title": "Notes", "description": "v1"}, headers=headers
    )
    assert created.status_code == 201
    assert created.json()["notice_version"] == 1
    updated = await client.patch(f"{URL}/coaching_notes", json={"description": "v2"}, headers=headers)
    assert updated.json()["notice_version"] == 2


async def test_duplicate_is_conflict(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.post(
        URL, json={"key": "matching", "title": "x", "description": "y"}, headers=keys.headers("consent:write")
    )
    assert resp.status_code == 409
    assert resp.json()["pointer"] == "#/key"
