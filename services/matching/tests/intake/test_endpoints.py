import uuid
from typing import Any

import httpx

API = "/api/v1/matching"


async def test_anonymous(client: httpx.AsyncClient) -> None:
    assert (await client.get(f"{API}/intakes/{uuid.uuid4()}")).status_code == 401


async def test_track_decided_by_matrix(world: Any) -> None:
    program = await world.program()
    intake = await world.intake(program, triggers=["high_stakes_behavioural_shift"], consent=False)
    assert intake["track"] == "coach_then_mentor"
    assert intake["plan"]["provider_kinds"] == ["coach", "mentor"]
    assert intake["plan"]["coaching_sprint_months"] == [3, 4]
    assert "coaching sprint" in intake["track_reason"]
    assert intake["track_overridden"] is False


async def test_participant_submits_own_intake(world: Any) -> None:
    program = await world.program()
    me = uuid.uuid4()
    resp = await world.client.post(
        f"{API}/programs/{program['id']}/intakes",
        json={
            "person_id": str(me),
            "triggers": ["career_transition"],
            "timezone": "Asia/Tokyo",
            "working_hours": [{"weekday": 1, "start": "10:00", "end": "18:00"}],
            "languages": ["ja"],
        },
        headers=world.person(me, "matching:read", "matching:write"),
    )
    assert resp.status_code == 201
    assert resp.json()["track"] == "mentor"
    assert resp.json()["promotion_related"] is True


async def test_participant_cannot_submit_for_others(world: Any) -> None:
    program = await world.program()
    resp = await world.client.post(
        f"{API}/programs/{program['id']}/intakes",
        json={
            "person_id": str(uuid.uuid4()),
            "triggers": ["performance_gap"],
            "timezone": "UTC",
            "working_hours": [{"weekday": 1, "start": "10:00", "end": "18:00"}],
            "languages": ["en"],
        },
        headers=world.person(uuid.uuid4(), "matching:read", "matching:write"),
    )
    assert resp.status_code == 403


async def test_override_track_audited(world: Any) -> None:
    program = await world.program()
    intake = await world.intake(program, consent=False)
    resp = await world.client.post(
        f"{API}/intakes/{intake['id']}/track-override",
        json={"track": "mentor_plus_coaching", "reason": "retention risk raised by HRBP"},
        headers=world.headers,
    )
    assert resp.status_code == 200
    assert (resp.json()["track"], resp.json()["track_overridden"]) == ("mentor_plus_coaching", True)
    decisions = (
        await world.client.get(f"{API}/programs/{program['id']}/decisions", headers=world.headers)
    ).json()["items"]
    assert [(d["action"], d["reason"], d["details"]) for d in decisions] == [
        ("track_overridden", "retention risk raised by HRBP", {"from": "coach", "to": "mentor_plus_coaching"})
    ]


async def test_override_without_reason_names_field(world: Any) -> None:
    program = await world.program()
    intake = await world.intake(program, consent=False)
    resp = await world.client.post(
        f"{API}/intakes/{intake['id']}/track-override", json={"track": "mentor"}, headers=world.headers
    )
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["pointer"] == "#/reason"


async def test_other_participant_not_found(world: Any) -> None:
    program = await world.program()
    intake = await world.intake(program, consent=False)
    resp = await world.client.get(f"{API}/intakes/{intake['id']}", headers=world.person(uuid.uuid4()))
    assert resp.status_code == 404


async def test_malformed_person_claim_is_nobody(world: Any) -> None:
    """A person id claim that is no UUID is refused like a stranger (404), not a 500."""
    program = await world.program()
    intake = await world.intake(program, consent=False)
    nobody = world.person("not-a-uuid")
    one = await world.client.get(f"{API}/intakes/{intake['id']}", headers=nobody)
    assert one.status_code == 404
    assert one.headers["content-type"] == "application/problem+json"
    listed = await world.client.get(f"{API}/programs/{program['id']}/intakes", headers=nobody)
    assert listed.status_code == 200
    assert listed.json()["total"] == 0
