import httpx

from tandem_kit.testing import TestKeys

URL = "/api/v1/consent/purposes"
ADMIN = ("consent:read", "consent:write", "admin")


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
    assert [p["key"] for p in resp.json()] == [
        "ai_summaries",
        "analytics",
        "handoff",
        "hris_readback",
        "lrs_reporting",
        "matching",
        "vendor_sharing",
    ]


async def test_seeded_hris_readback_documents_what_goes_back(
    client: httpx.AsyncClient, keys: TestKeys
) -> None:
    resp = await client.get(f"{URL}/hris_readback", headers=keys.headers("consent:read"))
    assert resp.status_code == 200
    body = resp.json()
    assert (body["notice_version"], body["fields"]) == (1, ["program_participation", "sponsorship_history"])


async def test_seeded_matching_documents_its_fields(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.get(f"{URL}/matching", headers=keys.headers("consent:read"))
    assert resp.status_code == 200
    body = resp.json()
    assert body["notice_version"] == 1
    assert "skills" in body["fields"]
    assert "sponsorship_history" in body["fields"]
    assert "session_notes" not in body["fields"]
    assert body["fields"] == sorted(body["fields"])


async def test_unknown_purpose_not_found(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.get(f"{URL}/astrology", headers=keys.headers("consent:read"))
    assert resp.status_code == 404
    assert resp.json()["type"] == "https://tandem.dev/problems/purpose-not-found"


async def test_create_needs_admin(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.post(
        URL,
        json={"key": "newsletter", "title": "x", "description": "y"},
        headers=keys.headers("consent:write", person_id="2a7c3f7e-5d55-4d0c-9a4b-3d1f3f0c0a11"),
    )
    assert resp.status_code == 403
    assert resp.json()["missing_scopes"] == ["admin"]


async def test_create_invalid_key_names_field(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.post(
        URL, json={"key": "Bad Key", "title": "x", "description": "y"}, headers=keys.headers(*ADMIN)
    )
    assert resp.status_code == 422
    body = resp.json()
    assert body["errors"][0]["pointer"] == "#/key"
    assert "#/key" in body["detail"]


async def test_create_unknown_field_names_its_position(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.post(
        URL,
        json={"key": "pulse", "title": "Pulse", "description": "y", "fields": ["tenure", "star_sign"]},
        headers=keys.headers(*ADMIN),
    )
    assert resp.status_code == 422
    body = resp.json()
    assert body["pointer"] == "#/fields/1"
    assert body["unknown"] == ["star_sign"]


async def test_create_duplicate_fields_rejected(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.post(
        URL,
        json={"key": "pulse", "title": "Pulse", "description": "y", "fields": ["tenure", "tenure"]},
        headers=keys.headers(*ADMIN),
    )
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["pointer"] == "#/fields"


async def test_wrong_content_type(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.post(
        URL, content=b"key=x", headers={**keys.headers(*ADMIN), "content-type": "text/plain"}
    )
    assert resp.status_code == 415
    assert resp.headers["content-type"] == "application/problem+json"


async def test_create_publishes_notice_v1(client: httpx.AsyncClient, keys: TestKeys) -> None:
    headers = keys.headers(*ADMIN)
    created = await client.post(
        URL,
        json={"key": "pulse", "title": "Pulse", "description": "v1", "fields": ["tenure", "job_level"]},
        headers=headers,
    )
    assert created.status_code == 201
    assert created.json()["fields"] == ["job_level", "tenure"]
    notices = await client.get(f"{URL}/pulse/notices", headers=headers)
    assert [(n["version"], n["description"], n["fields"]) for n in notices.json()] == [
        (1, "v1", ["job_level", "tenure"])
    ]


async def test_update_description_bumps_notice(client: httpx.AsyncClient, keys: TestKeys) -> None:
    headers = keys.headers(*ADMIN)
    created = await client.post(
        URL, json={"key": "coaching_notes", "title": "Notes", "description": "v1"}, headers=headers
    )
    assert created.status_code == 201
    assert created.json()["notice_version"] == 1
    updated = await client.patch(f"{URL}/coaching_notes", json={"description": "v2"}, headers=headers)
    assert updated.json()["notice_version"] == 2
    old = await client.get(f"{URL}/coaching_notes/notices/1", headers=headers)
    assert old.json()["description"] == "v1"


async def test_update_fields_bumps_notice(client: httpx.AsyncClient, keys: TestKeys) -> None:
    headers = keys.headers(*ADMIN)
    updated = await client.patch(
        f"{URL}/analytics", json={"fields": ["session_metadata", "job_level"]}, headers=headers
    )
    assert updated.status_code == 200
    body = updated.json()
    assert body["notice_version"] == 2
    assert body["fields"] == ["job_level", "session_metadata"]
    v1 = await client.get(f"{URL}/analytics/notices/1", headers=headers)
    assert "promotion_history" in v1.json()["fields"]


async def test_update_title_only_keeps_notice(client: httpx.AsyncClient, keys: TestKeys) -> None:
    updated = await client.patch(
        f"{URL}/handoff", json={"title": "Handoff", "fields": None}, headers=keys.headers(*ADMIN)
    )
    assert updated.status_code == 200
    assert (updated.json()["title"], updated.json()["notice_version"]) == ("Handoff", 1)


async def test_unknown_notice_version_not_found(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.get(f"{URL}/matching/notices/7", headers=keys.headers("consent:read"))
    assert resp.status_code == 404
    assert resp.json()["pointer"] == "#/version"


async def test_duplicate_is_conflict(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.post(
        URL, json={"key": "matching", "title": "x", "description": "y"}, headers=keys.headers(*ADMIN)
    )
    assert resp.status_code == 409
    assert resp.json()["pointer"] == "#/key"
