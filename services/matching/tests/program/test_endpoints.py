import uuid
from typing import Any

import httpx

from tandem_kit.testing import TestKeys

API = "/api/v1/matching"
SEED = {
    "technical_skills": 35,
    "behavioural_goals": 25,
    "sponsorship_history": 20,
    "availability_overlap": 10,
    "past_success": 10,
}


async def test_anonymous(client: httpx.AsyncClient) -> None:
    assert (await client.get(f"{API}/programs")).status_code == 401


async def test_missing_scope(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.post(f"{API}/programs", json={}, headers=keys.headers("matching:read"))
    assert resp.status_code == 403


async def test_create_with_seed_weights(world: Any) -> None:
    program = await world.program()
    assert program["weights"]["version"] == 1
    assert program["weights"]["weights"] == SEED
    assert program["coach_caseload_limit"] == 15  # the seed's 12-month target, 1:15
    assert program["mentor_high_touch_limit"] == 3


async def test_caseload_limit_outside_seed_range(world: Any) -> None:
    resp = await world.client.post(
        f"{API}/programs",
        json={
            "name": "x",
            "tracks": ["coaching"],
            "starts_on": "2026-01-01",
            "ends_on": "2026-06-01",
            "coach_caseload_limit": 30,
        },
        headers=world.headers,
    )
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["pointer"] == "#/coach_caseload_limit"


async def test_end_before_start_names_field(world: Any) -> None:
    resp = await world.client.post(
        f"{API}/programs",
        json={"name": "x", "tracks": ["coaching"], "starts_on": "2026-06-01", "ends_on": "2026-01-01"},
        headers=world.headers,
    )
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["pointer"] == "#/ends_on"


async def test_put_weights_creates_version(world: Any) -> None:
    program = await world.program()
    url = f"{API}/programs/{program['id']}/weights"
    new = {**SEED, "sponsorship_history": 40, "reason": "promotion cohort"}
    resp = await world.client.put(url, json=new, headers=world.headers)
    assert resp.status_code == 200
    assert resp.json()["version"] == 2
    assert resp.json()["weights"]["sponsorship_history"] == 40
    versions = (await world.client.get(f"{url}/versions", headers=world.headers)).json()
    assert [(v["version"], v["weights"]["sponsorship_history"], v["reason"]) for v in versions] == [
        (1, 20, "initial weights"),
        (2, 40, "promotion cohort"),
    ]


async def test_put_all_zero_weights_refused(world: Any) -> None:
    program = await world.program()
    resp = await world.client.put(
        f"{API}/programs/{program['id']}/weights", json=dict.fromkeys(SEED, 0), headers=world.headers
    )
    assert resp.status_code == 422
    assert "at least one weight must be positive" in resp.json()["detail"]


async def test_proposal_records_weight_version(world: Any) -> None:
    program = await world.program()
    await world.coach(program)
    await world.client.put(f"{API}/programs/{program['id']}/weights", json=SEED, headers=world.headers)
    proposal = await world.proposal(await world.intake(program))
    assert proposal["weight_set_version"] == 2


async def test_dry_run_saves_nothing(world: Any) -> None:
    program = await world.program()
    skilled = await world.coach(program, behavioural_focus=[])
    behavioural = await world.coach(
        program, skills={"ml_engineering": 1}, behavioural_focus=["stakeholder_management"]
    )
    intake = await world.intake(program)
    proposed = {**SEED, "technical_skills": 0, "behavioural_goals": 100}
    resp = await world.client.post(
        f"{API}/programs/{program['id']}/weights/dry-run",
        json={"intake_id": intake["id"], "weights": proposed},
        headers=world.headers,
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["current"]["weight_set_version"] == 1
    assert body["proposed"]["weight_set_version"] is None
    assert body["current"]["candidates"][0]["provider_id"] == skilled["id"]
    assert body["proposed"]["candidates"][0]["provider_id"] == behavioural["id"]
    versions = (
        await world.client.get(f"{API}/programs/{program['id']}/weights/versions", headers=world.headers)
    ).json()
    assert len(versions) == 1
    proposals = (
        await world.client.get(f"{API}/programs/{program['id']}/proposals", headers=world.headers)
    ).json()["items"]
    assert proposals == []


async def test_capacity_report_pool_share(world: Any) -> None:
    program = await world.program(active_leaders=50)
    await world.coach(program, capacity=15)
    await world.coach(program, capacity=12, calibration=[])
    await world.mentor(program)
    report = (
        await world.client.get(f"{API}/programs/{program['id']}/capacity", headers=world.headers)
    ).json()
    assert report["coaches"] == 2
    assert report["eligible_coaches"] == 1
    assert report["mentors"] == 1
    assert report["coach_pool_share"] == 0.04
    assert report["pool_share_status"] == "below"
    assert report["seed_pool_share_range"] == [0.08, 0.12]
    assert report["coach_capacity"] == 27
    assert report["mentor_capacity"] == 3


async def test_unknown_program_not_found(world: Any) -> None:
    resp = await world.client.get(f"{API}/programs/{uuid.uuid4()}", headers=world.headers)
    assert resp.status_code == 404
    assert resp.json()["type"].endswith("program-not-found")


async def test_cohort_create_and_list(world: Any) -> None:
    program = await world.program()
    cohort = await world.post(f"/programs/{program['id']}/cohorts", {"name": "Wave 1"})
    listed = (await world.client.get(f"{API}/programs/{program['id']}/cohorts", headers=world.headers)).json()
    assert [c["id"] for c in listed] == [cohort["id"]]
