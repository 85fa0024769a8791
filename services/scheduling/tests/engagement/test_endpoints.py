import uuid
from typing import Any

import httpx

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
    assert [e["id"] for e in resp.json()] == [str(mine.id)]


async def test_program_manager_filters_by_participant(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any
) -> None:
    wanted = await make_engagement()
    await make_engagement()
    headers = keys.headers("scheduling:read", person_id=str(uuid.uuid4()), roles=["program_manager"])
    resp = await client.get(URL, params={"participant_id": str(wanted.participant_id)}, headers=headers)
    assert [e["id"] for e in resp.json()] == [str(wanted.id)]


async def test_sla_clocks(client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any) -> None:
    engagement = await make_engagement(approved_at="2027-02-01T10:00:00+00:00")
    resp = await client.get(f"{URL}/{engagement.id}/sla-clocks", headers=keys.headers("scheduling:read"))
    assert resp.status_code == 200
    [clock] = resp.json()
    assert (clock["kind"], clock["due_at"], clock["met_at"]) == ("kickoff", "2027-02-08T10:00:00Z", None)


async def test_sla_clocks_other_person_not_found(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any
) -> None:
    engagement = await make_engagement()
    stranger = keys.headers("scheduling:read", person_id=str(uuid.uuid4()))
    resp = await client.get(f"{URL}/{engagement.id}/sla-clocks", headers=stranger)
    assert resp.status_code == 404
