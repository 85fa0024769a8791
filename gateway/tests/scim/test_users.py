"""SCIM Users through the gateway: the calls Entra ID and Okta make, errors in SCIM's format."""

from collections.abc import Awaitable, Callable
from typing import Any

import httpx

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
TANDEM = "urn:tandem:params:scim:schemas:extension:tandem:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"

Outbox = Callable[[], Awaitable[list[dict[str, Any]]]]


def entra_user(user_name: str = "ada@contoso.com", **extra: Any) -> dict[str, Any]:
    """The body Entra ID posts (its default attribute mapping)."""
    return {
        "schemas": [USER, ENTERPRISE],
        "externalId": "ada-object-id",
        "userName": user_name,
        "active": True,
        "displayName": "Ada Lovelace",
        "title": "Engineer",
        "emails": [{"primary": True, "type": "work", "value": user_name}],
        "name": {"formatted": "Ada Lovelace", "familyName": "Lovelace", "givenName": "Ada"},
        ENTERPRISE: {"department": "R&D", "employeeNumber": "E-1"},
        **extra,
    }


def patch(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH], "Operations": list(operations)}


async def test_entra_sequence_emits_the_hr_events(scim: httpx.AsyncClient, outbox: Outbox) -> None:
    found = await scim.get("/scim/v2/Users", params={"filter": 'userName eq "ada@contoso.com"'})
    assert found.status_code == 200
    assert found.headers["content-type"] == "application/scim+json"
    assert (found.json()["totalResults"], found.json()["Resources"]) == (0, [])

    created = await scim.post("/scim/v2/Users", json=entra_user())
    assert created.status_code == 201, created.text
    user = created.json()
    assert created.headers["location"] == user["meta"]["location"]
    assert created.headers["etag"] == 'W/"1"'
    assert user[ENTERPRISE] == {"department": "R&D", "employeeNumber": "E-1"}

    titled = await scim.patch(
        f"/scim/v2/Users/{user['id']}",
        json=patch({"op": "Replace", "path": "title", "value": "Staff Engineer"}),
    )
    assert titled.status_code == 200, titled.text
    assert (titled.json()["title"], titled.json()["meta"]["version"]) == ("Staff Engineer", 'W/"2"')

    gone = await scim.patch(
        f"/scim/v2/Users/{user['id']}", json=patch({"op": "Replace", "path": "active", "value": "False"})
    )
    assert gone.status_code == 200, gone.text
    assert gone.json()["active"] is False

    events = await outbox()
    assert [e["type"] for e in events] == ["PersonProvisioned", "PersonJobChanged", "PersonDeactivated"]
    assert {e["data"]["person_id"] for e in events} == {user["id"]}
    assert events[1]["data"]["old"]["title"] == "Engineer"
    assert events[1]["data"]["new"]["title"] == "Staff Engineer"
    assert events[1]["data"]["promotion"] is False
    assert events[2]["data"]["source"] == "scim"


async def test_filter_finds_the_user_case_insensitively(scim: httpx.AsyncClient) -> None:
    created = (await scim.post("/scim/v2/Users", json=entra_user())).json()

    found = await scim.get("/scim/v2/Users", params={"filter": 'userName eq "ADA@contoso.COM"'})

    assert found.json()["totalResults"] == 1
    assert found.json()["Resources"][0]["id"] == created["id"]


async def test_no_op_patch_emits_nothing(scim: httpx.AsyncClient, outbox: Outbox) -> None:
    user = (await scim.post("/scim/v2/Users", json=entra_user())).json()

    same = await scim.patch(
        f"/scim/v2/Users/{user['id']}",
        json=patch({"op": "replace", "value": {"title": "Engineer", "active": True}}),
    )

    assert same.status_code == 200
    assert same.json()["meta"]["version"] == 'W/"1"'
    assert [e["type"] for e in await outbox()] == ["PersonProvisioned"]


async def test_duplicate_user_name_is_409_uniqueness(scim: httpx.AsyncClient) -> None:
    await scim.post("/scim/v2/Users", json=entra_user())

    again = await scim.post("/scim/v2/Users", json=entra_user("Ada@Contoso.com", externalId="other"))

    assert again.status_code == 409
    assert again.headers["content-type"] == "application/scim+json"
    body = again.json()
    assert (body["schemas"], body["status"], body["scimType"]) == ([ERROR], "409", "uniqueness")


async def test_stale_if_match_is_412(scim: httpx.AsyncClient) -> None:
    user = (await scim.post("/scim/v2/Users", json=entra_user())).json()
    await scim.patch(
        f"/scim/v2/Users/{user['id']}", json=patch({"op": "replace", "path": "title", "value": "A"})
    )

    stale = await scim.patch(
        f"/scim/v2/Users/{user['id']}",
        json=patch({"op": "replace", "path": "title", "value": "B"}),
        headers={"If-Match": 'W/"1"'},
    )

    assert stale.status_code == 412
    assert stale.json()["status"] == "412"
    current = await scim.get(f"/scim/v2/Users/{user['id']}")
    assert current.json()["title"] == "A"


async def test_unknown_level_is_invalid_value_naming_the_attribute(scim: httpx.AsyncClient) -> None:
    body = entra_user(schemas=[USER, ENTERPRISE, TANDEM], **{TANDEM: {"level": "wizard"}})

    refused = await scim.post("/scim/v2/Users", json=body)

    assert refused.status_code == 400
    assert refused.json()["scimType"] == "invalidValue"
    assert f"{TANDEM}:level" in refused.json()["detail"]


async def test_unknown_manager_is_invalid_value(scim: httpx.AsyncClient) -> None:
    body = entra_user(**{ENTERPRISE: {"manager": {"value": "00000000-0000-0000-0000-000000000001"}}})

    refused = await scim.post("/scim/v2/Users", json=body)

    assert refused.status_code == 400
    assert refused.json()["scimType"] == "invalidValue"
    assert f"{ENTERPRISE}:manager" in refused.json()["detail"]


async def test_manager_cycle_is_invalid_value(scim: httpx.AsyncClient) -> None:
    boss = (await scim.post("/scim/v2/Users", json=entra_user("boss@contoso.com", externalId="b"))).json()
    ada = (
        await scim.post("/scim/v2/Users", json=entra_user(**{ENTERPRISE: {"manager": {"value": boss["id"]}}}))
    ).json()

    refused = await scim.patch(
        f"/scim/v2/Users/{boss['id']}",
        json=patch({"op": "add", "path": f"{ENTERPRISE}:manager", "value": {"value": ada["id"]}}),
    )

    assert refused.status_code == 400, refused.text
    assert refused.json()["scimType"] == "invalidValue"
    assert "cycle" in refused.json()["detail"]


async def test_me_is_refused_cleanly(scim: httpx.AsyncClient) -> None:
    refused = await scim.get("/scim/v2/Me")

    assert refused.status_code == 501
    assert refused.json()["status"] == "501"


async def test_delete_deactivates_and_hides(scim: httpx.AsyncClient, outbox: Outbox) -> None:
    user = (await scim.post("/scim/v2/Users", json=entra_user())).json()

    deleted = await scim.delete(f"/scim/v2/Users/{user['id']}")

    assert deleted.status_code == 204
    assert (await scim.get(f"/scim/v2/Users/{user['id']}")).status_code == 404
    assert [e["type"] for e in await outbox()] == ["PersonProvisioned", "PersonDeactivated"]


async def test_anonymous_is_401_in_scim_format(client: httpx.AsyncClient) -> None:
    refused = await client.get("/scim/v2/Users")

    assert refused.status_code == 401
    assert refused.json()["status"] == "401"


async def test_entra_manager_patch_with_a_bare_id(scim: httpx.AsyncClient, outbox: Outbox) -> None:
    boss = (await scim.post("/scim/v2/Users", json=entra_user("boss@contoso.com", externalId="b"))).json()
    ada = (await scim.post("/scim/v2/Users", json=entra_user())).json()

    # Entra ID sends the manager's id as the value itself, not as {"value": id}.
    managed = await scim.patch(
        f"/scim/v2/Users/{ada['id']}",
        json=patch({"op": "Add", "path": f"{ENTERPRISE}:manager", "value": boss["id"]}),
    )

    assert managed.status_code == 200, managed.text
    assert managed.json()[ENTERPRISE]["manager"]["value"] == boss["id"]
    changed = (await outbox())[-1]
    assert (changed["type"], changed["data"]["new"]["manager_id"]) == ("PersonJobChanged", boss["id"])


async def test_paging_and_attributes(scim: httpx.AsyncClient) -> None:
    ids = [
        (await scim.post("/scim/v2/Users", json=entra_user(f"u{n}@contoso.com", externalId=f"e{n}"))).json()[
            "id"
        ]
        for n in range(3)
    ]

    page = await scim.get(
        "/scim/v2/Users",
        params={"filter": 'userName sw "u"', "startIndex": 2, "count": 1, "attributes": "userName"},
    )

    body = page.json()
    assert (body["totalResults"], body["startIndex"], body["itemsPerPage"]) == (3, 2, 1)
    assert body["Resources"] == [{"schemas": [USER], "id": ids[1], "userName": "u1@contoso.com"}]
