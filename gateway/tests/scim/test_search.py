"""`POST /Users/.search` and `POST /Groups/.search` (RFC 7644 §3.4.3): a SearchRequest body answered
exactly as the GET with the same query would be, errors in SCIM's format."""

from typing import Any

import httpx
import pytest

from tandem_gateway.testing import bearer

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


def search(**query: Any) -> dict[str, Any]:
    return {"schemas": [SEARCH], **query}


async def users(scim: httpx.AsyncClient, *names: str) -> list[str]:
    ids = []
    for n, name in enumerate(names):
        body = {
            "schemas": [USER],
            "userName": name,
            "externalId": f"e{n}",
            "displayName": f"Person {n}",
            "emails": [{"primary": True, "type": "work", "value": name}],
        }
        created = await scim.post("/scim/v2/Users", json=body)
        assert created.status_code == 201, created.text
        ids.append(created.json()["id"])
    return ids


async def test_users_search_answers_as_the_get(scim: httpx.AsyncClient) -> None:
    ids = await users(scim, "u0@contoso.com", "u1@contoso.com", "u2@contoso.com", "x@contoso.com")

    found = await scim.post(
        "/scim/v2/Users/.search",
        json=search(filter='userName sw "u"', startIndex=2, count=1, attributes=["userName"]),
    )
    listed = await scim.get(
        "/scim/v2/Users",
        params={"filter": 'userName sw "u"', "startIndex": 2, "count": 1, "attributes": "userName"},
    )

    assert (found.status_code, found.headers["content-type"]) == (200, "application/scim+json")
    assert found.json() == {
        "schemas": [LIST],
        "totalResults": 3,
        "startIndex": 2,
        "itemsPerPage": 1,
        "Resources": [{"schemas": [USER], "id": ids[1], "userName": "u1@contoso.com"}],
    }
    assert found.json() == listed.json()


async def test_users_search_leaves_out_excluded_attributes(scim: httpx.AsyncClient) -> None:
    [ada] = await users(scim, "ada@contoso.com")

    found = await scim.post(
        "/scim/v2/Users/.search",
        json=search(filter=f'id eq "{ada}"', excludedAttributes=["emails", "displayName"]),
    )

    [user] = found.json()["Resources"]
    assert (user["id"], user["userName"]) == (ada, "ada@contoso.com")
    assert "emails" not in user
    assert "displayName" not in user
    assert "meta" in user


async def test_empty_search_pages_everyone_by_default(scim: httpx.AsyncClient) -> None:
    await users(scim, "a@contoso.com", "b@contoso.com")

    found = await scim.post("/scim/v2/Users/.search", json=search())

    body = found.json()
    assert (body["totalResults"], body["startIndex"], body["itemsPerPage"]) == (2, 1, 2)


async def test_groups_search_filters_by_display_name(scim: httpx.AsyncClient) -> None:
    for name in ("Coaches", "Mentors"):
        created = await scim.post("/scim/v2/Groups", json={"schemas": [GROUP], "displayName": name})
        assert created.status_code == 201, created.text

    found = await scim.post(
        "/scim/v2/Groups/.search", json=search(filter='displayName eq "mentors"', attributes=["displayName"])
    )

    assert found.status_code == 200, found.text
    body = found.json()
    assert (body["totalResults"], [g["displayName"] for g in body["Resources"]]) == (1, ["Mentors"])
    assert (
        found.json()
        == (
            await scim.get(
                "/scim/v2/Groups", params={"filter": 'displayName eq "mentors"', "attributes": "displayName"}
            )
        ).json()
    )


@pytest.mark.parametrize(
    ("path", "body", "scim_type"),
    [
        ("Users", search(filter="userName eq"), "invalidFilter"),
        ("Users", search(filter='shoeSize eq "42"'), "invalidFilter"),
        ("Groups", search(filter='userName eq "ada"'), "invalidFilter"),
        ("Users", search(count="many"), "invalidValue"),
        ("Users", search(startIndex=2**31), "invalidValue"),
        ("Users", search(filter='userName eq "a\x00b"'), "invalidValue"),
        ("Users", search(filter=f'userName eq "{"a" * 4096}"'), "invalidValue"),
        ("Users", search(attributes=["userName"], excludedAttributes=["emails"]), "invalidValue"),
        ("Users", search(sortBy="shoeSize"), "invalidPath"),
        ("Users", {"filter": 'userName eq "ada"'}, "invalidSyntax"),
        ("Users", {"schemas": [LIST]}, "invalidSyntax"),
        ("Groups", {"schemas": SEARCH}, "invalidSyntax"),
    ],
)
async def test_bad_search_is_a_scim_400(
    scim: httpx.AsyncClient, path: str, body: dict[str, Any], scim_type: str
) -> None:
    refused = await scim.post(f"/scim/v2/{path}/.search", json=body)

    assert (refused.status_code, refused.headers["content-type"]) == (400, "application/scim+json")
    assert (refused.json()["schemas"], refused.json()["status"], refused.json()["scimType"]) == (
        [ERROR],
        "400",
        scim_type,
    )


async def test_search_body_not_json_is_invalid_syntax(scim: httpx.AsyncClient) -> None:
    refused = await scim.post("/scim/v2/Users/.search", content=b"filter=userName")

    assert (refused.status_code, refused.json()["scimType"]) == (400, "invalidSyntax")


async def test_search_needs_a_provisioning_token(client: httpx.AsyncClient, token_for: Any) -> None:
    anonymous = await client.post("/scim/v2/Users/.search", json=search())
    other_scope = await client.post(
        "/scim/v2/Groups/.search", json=search(), headers=bearer(await token_for("directory:read"))
    )

    assert (anonymous.status_code, anonymous.json()["status"]) == (401, "401")
    assert (other_scope.status_code, other_scope.json()["status"]) == (403, "403")


async def test_search_over_every_resource_type_stays_501(scim: httpx.AsyncClient) -> None:
    refused = await scim.post("/scim/v2/.search", json=search())

    assert (refused.status_code, refused.json()["status"]) == (501, "501")
