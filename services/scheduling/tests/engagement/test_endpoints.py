import uuid
from typing import Any

import httpx
import pytest

from tandem_kit.testing import TestKeys

URL = "/api/v1/scheduling/engagements"


async def test_anonymous(client: httpx.AsyncClient) -> None:
    resp = await client.get(URL)
    assert resp.status_code == 401
    assert resp.headers["content-type"] == "application/problem+json"


async def test_missing_scope(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.get(URL, headers=keys.headers("matching:read"))
    assert resp.status_code == 403
    assert resp.json()["missing_scopes"] == ["scheduling:read"]


async def test_get_valid(client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any) -> None:
    engagement = await make_engagement(track="mentor_plus_coaching")
    resp = await client.get(f"{URL}/{engagement.id}", headers=keys.headers("scheduling:read"))
    assert resp.status_code == 200
    body = resp.json()
    assert body["match_id"] == str(engagement.match_id)
    assert (body["cadence"], body["session_minutes"], body["status"]) == ("biweekly", 45, "active")
    assert body["participant_timezone"] == "America/New_York"


async def test_other_person_not_found(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any
) -> None:
    engagement = await make_engagement()
    stranger = keys.headers("scheduling:read", person_id=str(uuid.uuid4()), roles=["participant"])
    resp = await client.get(f"{URL}/{engagement.id}", headers=stranger)
    assert resp.status_code == 404
    assert resp.json()["type"].endswith("engagement-not-found")


async def test_parties_see_it(client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any) -> None:
    engagement = await make_engagement()
    for person in (engagement.participant_id, engagement.provider_person_id):
        headers = keys.headers("scheduling:read", person_id=str(person), roles=["participant"])
        resp = await client.get(f"{URL}/{engagement.id}", headers=headers)
        assert resp.status_code == 200
        assert resp.json()["id"] == str(engagement.id)


async def test_list_only_own(client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any) -> None:
    mine = await make_engagement()
    await make_engagement()
    headers = keys.headers("scheduling:read", person_id=str(mine.participant_id), roles=["participant"])
    resp = await client.get(URL, headers=headers)
    assert resp.status_code == 200
    assert [e["id"] for e in resp.json()["items"]] == [str(mine.id)]
    assert resp.json()["total"] == 1


async def test_program_manager_filters_by_participant(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any
) -> None:
    wanted = await make_engagement()
    await make_engagement()
    headers = keys.headers("scheduling:read", person_id=str(uuid.uuid4()), roles=["program_manager"])
    resp = await client.get(URL, params={"participant_id": str(wanted.participant_id)}, headers=headers)
    assert [e["id"] for e in resp.json()["items"]] == [str(wanted.id)]


async def test_sla_clocks(client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any) -> None:
    engagement = await make_engagement(approved_at="2027-02-01T10:00:00+00:00")
    resp = await client.get(f"{URL}/{engagement.id}/sla-clocks", headers=keys.headers("scheduling:read"))
    assert resp.status_code == 200
    # The kickoff, then the two reviews of a 3-month coaching sprint (every 6 weeks, New York's day end).
    assert [(c["kind"], c["seq"], c["due_at"], c["met_at"]) for c in resp.json()] == [
        ("kickoff_held", 0, "2027-02-08T10:00:00Z", None),
        ("checkpoint_held", 1, "2027-03-16T04:00:00Z", None),
        ("checkpoint_held", 2, "2027-04-27T04:00:00Z", None),
    ]


async def test_sla_clocks_other_person_not_found(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any
) -> None:
    engagement = await make_engagement()
    stranger = keys.headers("scheduling:read", person_id=str(uuid.uuid4()))
    resp = await client.get(f"{URL}/{engagement.id}/sla-clocks", headers=stranger)
    assert resp.status_code == 404


async def walk(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], limit: int, **params: str
) -> Any:
    """Every page of `url` at this page size, in order: (ids seen, the totals each page reported)."""
    ids: list[str] = []
    totals: set[int] = set()
    offset = 0
    while True:
        resp = await client.get(url, params={**params, "limit": limit, "offset": offset}, headers=headers)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert (body["limit"], body["offset"]) == (limit, offset)
        assert len(body["items"]) <= limit
        totals.add(body["total"])
        ids += [item["id"] for item in body["items"]]
        if not body["items"]:
            return ids, totals
        offset += limit


async def person_with_five(make_engagement: Any) -> tuple[str, list[str]]:
    """A person who is participant in three engagements and coach in two, beside two strangers' ones."""
    person = str(uuid.uuid4())
    own = [await make_engagement(participant_id=person) for _ in range(3)]
    own += [await make_engagement(provider_person_id=person) for _ in range(2)]
    await make_engagement()
    await make_engagement()
    return person, [str(e.id) for e in own]


async def test_list_pages_walk_the_whole_list(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any
) -> None:
    person, own = await person_with_five(make_engagement)
    headers = keys.headers("scheduling:read", person_id=person, roles=["participant"])
    everything = (await client.get(URL, params={"limit": 500}, headers=headers)).json()
    # All created in one transaction, so newest first ties everywhere and the id alone orders them.
    assert len({e["created_at"] for e in everything["items"]}) == 1
    assert [e["id"] for e in everything["items"]] == sorted(own)
    # Every page size walks the same list in the same order: no row skipped, none repeated.
    for limit in range(1, len(own) + 2):
        ids, totals = await walk(client, URL, headers, limit)
        assert ids == [e["id"] for e in everything["items"]], limit
        assert totals == {5}


async def test_list_total_counts_only_what_the_caller_may_see(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any
) -> None:
    person, own = await person_with_five(make_engagement)
    headers = keys.headers("scheduling:read", person_id=person, roles=["participant"])
    first = (await client.get(URL, params={"limit": 2}, headers=headers)).json()
    assert (len(first["items"]), first["total"], first["limit"], first["offset"]) == (2, len(own), 2, 0)
    past_the_end = (await client.get(URL, params={"offset": 5}, headers=headers)).json()
    assert (past_the_end["items"], past_the_end["total"]) == ([], 5)
    # The participant filter narrows what the person may see; it never widens it.
    as_participant = (await client.get(URL, params={"participant_id": person}, headers=headers)).json()
    assert as_participant["total"] == 3
    stranger = str(uuid.uuid4())
    other = await make_engagement(participant_id=stranger)
    theirs = (await client.get(URL, params={"participant_id": stranger}, headers=headers)).json()
    assert (theirs["items"], theirs["total"]) == ([], 0)
    manager = keys.headers("scheduling:read", person_id=str(uuid.uuid4()), roles=["program_manager"])
    seen = (await client.get(URL, params={"participant_id": stranger}, headers=manager)).json()
    assert ([e["id"] for e in seen["items"]], seen["total"]) == ([str(other.id)], 1)


async def test_list_default_page(client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any) -> None:
    engagement = await make_engagement()
    headers = keys.headers("scheduling:read", person_id=str(engagement.participant_id), roles=["participant"])
    body = (await client.get(URL, headers=headers)).json()
    assert (body["total"], body["limit"], body["offset"]) == (1, 100, 0)


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"offset": -1}, "offset"),
        ({"limit": "x"}, "limit"),
    ],
)
async def test_list_bad_page_is_422(
    client: httpx.AsyncClient, keys: TestKeys, params: dict[str, Any], parameter: str
) -> None:
    resp = await client.get(URL, params=params, headers=keys.headers("scheduling:read"))
    assert resp.status_code == 422
    assert resp.headers["content-type"] == "application/problem+json"
    body = resp.json()
    assert body["type"].endswith("validation-error")
    assert [(e["parameter"], e["in"]) for e in body["errors"]] == [(parameter, "query")]
