import httpx

from tandem_kit.testing import TestKeys

URL = "/api/v1/consent/data-fields"
ADMIN = ("consent:read", "consent:write", "admin")
NEW_FIELD = {
    "key": "certifications",
    "title": "Coaching certifications",
    "description": "ICF credential level and renewal date.",
    "source": "intake",
    "category": "credentials",
    "sensitivity": "standard",
}


async def test_anonymous(client: httpx.AsyncClient) -> None:
    resp = await client.get(URL)
    assert resp.status_code == 401


async def test_missing_scope(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.get(URL, headers=keys.headers("analytics:read"))
    assert resp.status_code == 403
    assert resp.json()["missing_scopes"] == ["consent:read"]


async def test_list_seeded_inventory(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.get(URL, headers=keys.headers("consent:read"))
    assert resp.status_code == 200
    by_key = {f["key"]: f for f in resp.json()}
    assert len(by_key) == 20
    assert by_key["program_participation"]["category"] == "program"
    assert (by_key["skills"]["source"], by_key["skills"]["sensitivity"]) == ("hris", "standard")
    assert by_key["session_transcripts"]["sensitivity"] == "confidential"


async def test_get_unknown_not_found(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.get(f"{URL}/shoe_size", headers=keys.headers("consent:read"))
    assert resp.status_code == 404
    assert resp.json()["type"] == "https://tandem.dev/problems/data-field-not-found"


async def test_create_needs_admin(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.post(URL, json=NEW_FIELD, headers=keys.headers("consent:write"))
    assert resp.status_code == 403


async def test_create_valid(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.post(URL, json=NEW_FIELD, headers=keys.headers(*ADMIN))
    assert resp.status_code == 201, resp.text
    got = await client.get(f"{URL}/certifications", headers=keys.headers("consent:read"))
    assert got.json()["category"] == "credentials"


async def test_create_bad_sensitivity_names_field(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.post(URL, json={**NEW_FIELD, "sensitivity": "secret"}, headers=keys.headers(*ADMIN))
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["pointer"] == "#/sensitivity"


async def test_create_duplicate_conflict(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.post(URL, json={**NEW_FIELD, "key": "skills"}, headers=keys.headers(*ADMIN))
    assert resp.status_code == 409
    assert resp.json()["pointer"] == "#/key"


async def test_update_sensitivity(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.patch(
        f"{URL}/tenure", json={"sensitivity": "sensitive"}, headers=keys.headers(*ADMIN)
    )
    assert resp.status_code == 200
    assert (resp.json()["sensitivity"], resp.json()["title"]) == ("sensitive", "Tenure")
