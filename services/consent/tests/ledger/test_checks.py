import uuid
from collections.abc import Awaitable, Callable

import httpx

from tandem_kit.testing import TestKeys

URL = "/api/v1/consent/checks"
ADMIN = ("consent:read", "consent:write", "admin")
Decide = Callable[..., Awaitable[httpx.Response]]
AsPerson = Callable[..., dict[str, str]]


async def test_anonymous(client: httpx.AsyncClient) -> None:
    resp = await client.post(URL, json={"person_ids": [str(uuid.uuid4())], "purpose": "matching"})
    assert resp.status_code == 401


async def test_missing_scope(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.post(
        URL,
        json={"person_ids": [str(uuid.uuid4())], "purpose": "matching"},
        headers=keys.headers("matching:read"),
    )
    assert resp.status_code == 403


async def test_contract_shape_in_request_order(
    client: httpx.AsyncClient, grant: Decide, keys: TestKeys
) -> None:
    granted, never, narrowed = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await grant(granted)
    await grant(narrowed, fields=["skills", "working_hours", "timezone"])
    resp = await client.post(
        URL,
        json={"person_ids": [str(never), str(narrowed), str(granted)], "purpose": "matching"},
        headers=keys.headers("consent:read"),
    )
    assert resp.status_code == 200
    results = resp.json()["results"]
    assert results[0] == {
        "person_id": str(never),
        "purpose": "matching",
        "granted": False,
        "notice_version": None,
        "fields": [],
    }
    assert results[1] == {
        "person_id": str(narrowed),
        "purpose": "matching",
        "granted": True,
        "notice_version": 1,
        "fields": ["skills", "timezone", "working_hours"],
    }
    assert results[2]["granted"] is True
    assert "sponsorship_history" in results[2]["fields"]


async def test_withdrawn_is_not_granted(
    client: httpx.AsyncClient, grant: Decide, withdraw: Decide, keys: TestKeys
) -> None:
    person = uuid.uuid4()
    await grant(person)
    await withdraw(person)
    resp = await client.post(
        URL, json={"person_ids": [str(person)], "purpose": "matching"}, headers=keys.headers("consent:read")
    )
    assert resp.json()["results"][0]["granted"] is False


async def test_field_dropped_from_notice_is_no_longer_usable(
    client: httpx.AsyncClient, grant: Decide, keys: TestKeys
) -> None:
    person = uuid.uuid4()
    await grant(person, fields=["skills", "sponsorship_history"])
    await client.patch(
        "/api/v1/consent/purposes/matching",
        json={"fields": ["skills", "timezone", "working_hours"]},
        headers=keys.headers(*ADMIN),
    )
    resp = await client.post(
        URL, json={"person_ids": [str(person)], "purpose": "matching"}, headers=keys.headers("consent:read")
    )
    result = resp.json()["results"][0]
    assert (result["granted"], result["notice_version"], result["fields"]) == (True, 1, ["skills"])


async def test_unknown_purpose_names_field(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.post(
        URL,
        json={"person_ids": [str(uuid.uuid4())], "purpose": "astrology"},
        headers=keys.headers("consent:read"),
    )
    assert resp.status_code == 422
    assert resp.json()["pointer"] == "#/purpose"


async def test_empty_list_names_field(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.post(
        URL, json={"person_ids": [], "purpose": "matching"}, headers=keys.headers("consent:read")
    )
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["pointer"] == "#/person_ids"


async def test_person_may_check_only_themself(client: httpx.AsyncClient, as_person: AsPerson) -> None:
    me = uuid.uuid4()
    own = await client.post(URL, json={"person_ids": [str(me)], "purpose": "matching"}, headers=as_person(me))
    assert own.status_code == 200
    other = await client.post(
        URL, json={"person_ids": [str(me), str(uuid.uuid4())], "purpose": "matching"}, headers=as_person(me)
    )
    assert other.status_code == 404
    assert other.json()["pointer"] == "#/person_ids/1"
