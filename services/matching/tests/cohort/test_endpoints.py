import uuid
from typing import Any

import httpx

from tandem_kit.testing import TestKeys

API = "/api/v1/matching"


async def _cohort(
    world: Any,
) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    program = await world.program()
    cohort = await world.post(f"/programs/{program['id']}/cohorts", {"name": "Wave 1"})
    coaches = [
        await world.coach(program, capacity=15),
        await world.coach(program, capacity=15, skills={"finance": 3}),
    ]
    people = [await world.intake(program, cohort_id=cohort["id"]) for _ in range(3)]
    people.append(await world.intake(program, cohort_id=cohort["id"], consent=False))
    return program, cohort, coaches, people


async def test_anonymous(client: httpx.AsyncClient) -> None:
    assert (await client.post(f"{API}/cohorts/{uuid.uuid4()}/assignments", json={})).status_code == 401


async def test_missing_scope(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.post(
        f"{API}/cohorts/{uuid.uuid4()}/assignments", json={}, headers=keys.headers("matching:read")
    )
    assert resp.status_code == 403


async def test_dry_run_reports_and_saves_nothing(world: Any) -> None:
    program, cohort, coaches, people = await _cohort(world)
    resp = await world.client.post(
        f"{API}/cohorts/{cohort['id']}/assignments?dry_run=true", json={}, headers=world.headers
    )
    assert resp.status_code == 200, resp.text
    run = resp.json()
    assert run["dry_run"] is True
    assert run["participants"] == 4
    assert run["coverage"] == 0.75
    assert {p["provider_id"] for p in run["pairs"]} == {coaches[0]["id"]}
    assert run["unmatched"] == [
        {"intake_id": people[3]["id"], "participant_id": people[3]["person_id"], "reason": "consent_required"}
    ]
    assert run["distribution"]["min"] <= run["distribution"]["median"] <= run["distribution"]["max"]
    assert run["total_score"] == sum(p["score"] for p in run["pairs"])
    assert all(p["proposal_id"] is None for p in run["pairs"])
    proposals = (
        await world.client.get(f"{API}/programs/{program['id']}/proposals", headers=world.headers)
    ).json()["items"]
    assert proposals == []


async def test_real_run_creates_pending_proposals_with_locked_pair(world: Any) -> None:
    program, cohort, coaches, people = await _cohort(world)
    locked = {"intake_id": people[0]["id"], "provider_id": coaches[1]["id"]}
    resp = await world.client.post(
        f"{API}/cohorts/{cohort['id']}/assignments?dry_run=false",
        json={"locked": [locked]},
        headers=world.headers,
    )
    assert resp.status_code == 200, resp.text
    run = resp.json()
    by_intake = {p["intake_id"]: p for p in run["pairs"]}
    assert by_intake[people[0]["id"]]["provider_id"] == coaches[1]["id"]
    assert by_intake[people[0]["id"]]["locked"] is True
    proposals = (
        await world.client.get(
            f"{API}/programs/{program['id']}/proposals?status=pending", headers=world.headers
        )
    ).json()["items"]
    assert len(proposals) == 3
    assert {p["source"] for p in proposals} == {"cohort_assignment"}
    for proposal in proposals:
        assert proposal["candidates"][0]["provider_id"] == by_intake[proposal["intake_id"]]["provider_id"]
    created = [e for e in await world.outbox("ProposalCreated") if e["data"]["program_id"] == program["id"]]
    assert len(created) == 3


async def test_locked_pair_must_be_admissible(world: Any) -> None:
    program, cohort, _, people = await _cohort(world)
    french = await world.coach(program, languages=["fr"])
    resp = await world.client.post(
        f"{API}/cohorts/{cohort['id']}/assignments",
        json={"locked": [{"intake_id": people[0]["id"], "provider_id": french["id"]}]},
        headers=world.headers,
    )
    assert resp.status_code == 422
    assert resp.json()["pointer"] == "#/locked/0/provider_id"
    assert resp.json()["reasons"] == ["no_shared_language"]


async def test_capacity_respected(world: Any) -> None:
    program = await world.program()
    cohort = await world.post(f"/programs/{program['id']}/cohorts", {"name": "Mentors"})
    mentor = await world.mentor(program, capacity=2)
    for _ in range(3):
        await world.intake(program, cohort_id=cohort["id"], triggers=["career_transition"])
    run = (
        await world.client.post(f"{API}/cohorts/{cohort['id']}/assignments", json={}, headers=world.headers)
    ).json()
    assert [p["provider_id"] for p in run["pairs"]] == [mentor["id"]] * 2
    assert [u["reason"] for u in run["unmatched"]] == ["capacity_exhausted"]
