import asyncio
import uuid
from typing import Any

import httpx

from tandem_kit.testing import TestKeys

API = "/api/v1/matching"


async def _matched(world: Any) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    program = await world.program()
    await world.coach(program)
    person = await world.intake(program)
    proposal = await world.proposal(person)
    resp = await world.client.post(
        f"{API}/proposals/{proposal['id']}/approve", json={}, headers=world.headers
    )
    assert resp.status_code == 200
    return program, person, resp.json()


async def test_anonymous(client: httpx.AsyncClient) -> None:
    assert (await client.get(f"{API}/matches/{uuid.uuid4()}")).status_code == 401


async def test_missing_scope(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.get(f"{API}/matches/{uuid.uuid4()}", headers=keys.headers("consent:read"))
    assert resp.status_code == 403
    assert resp.json()["missing_scopes"] == ["matching:read"]


async def test_parties_see_match_others_not(world: Any) -> None:
    program, person, match = await _matched(world)
    url = f"{API}/matches/{match['id']}"
    assert (await world.client.get(url, headers=world.person(person["person_id"]))).json()["id"] == match[
        "id"
    ]
    provider = world.person(match["provider_person_id"], roles=("coach",))
    assert (await world.client.get(url, headers=provider)).status_code == 200
    assert (await world.client.get(url, headers=world.person(uuid.uuid4()))).status_code == 404
    listed = await world.client.get(
        f"{API}/programs/{program['id']}/matches", headers=world.person(uuid.uuid4())
    )
    assert listed.json() == []


async def test_reassign_keeps_history_and_rate(world: Any) -> None:
    program, person, match = await _matched(world)
    other = await world.coach(program)
    resp = await world.client.post(
        f"{API}/matches/{match['id']}/reassign",
        json={"provider_id": other["id"], "reason": "chemistry did not work"},
        headers=world.headers,
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["old_match"]["status"] == "reassigned"
    assert body["old_match"]["end_reason"] == "chemistry did not work"
    assert body["new_match"]["previous_match_id"] == match["id"]
    assert body["new_match"]["provider_id"] == other["id"]
    matches = (
        await world.client.get(f"{API}/programs/{program['id']}/matches", headers=world.headers)
    ).json()
    assert [m["status"] for m in matches] == ["reassigned", "active"]
    old_provider = (
        await world.client.get(f"{API}/providers/{match['provider_id']}", headers=world.headers)
    ).json()
    assert old_provider["active_load"] == 0
    [event] = [e for e in await world.outbox("MatchReassigned") if e["data"]["old_match_id"] == match["id"]]
    assert event["data"] == {
        "old_match_id": match["id"],
        "new_match_id": body["new_match"]["id"],
        "program_id": program["id"],
        "participant_id": person["person_id"],
        "reason": "chemistry did not work",
    }
    rate = (
        await world.client.get(f"{API}/programs/{program['id']}/reassignment-rate", headers=world.headers)
    ).json()
    assert rate == {
        "program_id": program["id"],
        "initial_matches": 1,
        "reassignments": 1,
        "rate": 1.0,
        "target": 0.1,
        "within_target": False,
    }
    decisions = (
        await world.client.get(f"{API}/programs/{program['id']}/decisions", headers=world.headers)
    ).json()
    assert [d["action"] for d in decisions] == ["approved", "reassigned"]


async def test_reassign_requires_reason(world: Any) -> None:
    _, _, match = await _matched(world)
    resp = await world.client.post(
        f"{API}/matches/{match['id']}/reassign",
        json={"provider_id": str(uuid.uuid4())},
        headers=world.headers,
    )
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["pointer"] == "#/reason"


async def test_reassign_ended_match_conflict(world: Any) -> None:
    program, _, match = await _matched(world)
    first = await world.coach(program)
    second = await world.coach(program)
    url = f"{API}/matches/{match['id']}/reassign"
    ok = await world.client.post(
        url, json={"provider_id": first["id"], "reason": "fit"}, headers=world.headers
    )
    assert ok.status_code == 200
    again = await world.client.post(
        url, json={"provider_id": second["id"], "reason": "fit"}, headers=world.headers
    )
    assert again.status_code == 409
    assert again.json()["type"].endswith("match-not-active")


async def test_rate_within_target(world: Any) -> None:
    program = await world.program()
    await world.coach(program, capacity=20)
    for _ in range(3):
        person = await world.intake(program)
        proposal = await world.proposal(person)
        await world.post(f"/proposals/{proposal['id']}/approve", {}, status=200)
    rate = (
        await world.client.get(f"{API}/programs/{program['id']}/reassignment-rate", headers=world.headers)
    ).json()
    assert (rate["initial_matches"], rate["reassignments"], rate["rate"], rate["within_target"]) == (
        3,
        0,
        0.0,
        True,
    )


async def test_capacity_holds_under_concurrent_approvals(committed_world: Any) -> None:
    """Committed data, real concurrency: five approvals race for a coach with room for two."""
    world = committed_world
    program = await world.program()
    coach = await world.coach(program, capacity=2)
    proposals = []
    for _ in range(5):
        person = await world.intake(program)
        proposals.append(await world.proposal(person))
    assert {p["candidates"][0]["provider_id"] for p in proposals} == {coach["id"]}
    results = await asyncio.gather(
        *(
            world.client.post(f"{API}/proposals/{p['id']}/approve", json={}, headers=world.headers)
            for p in proposals
        )
    )
    assert sorted(r.status_code for r in results) == [200, 200, 409, 409, 409]
    assert {r.json()["type"] for r in results if r.status_code == 409} == {
        "https://tandem.dev/problems/provider-at-capacity"
    }
    after = (await world.client.get(f"{API}/providers/{coach['id']}", headers=world.headers)).json()
    assert after["active_load"] == 2
    matches = (
        await world.client.get(f"{API}/programs/{program['id']}/matches", headers=world.headers)
    ).json()
    assert len(matches) == 2
