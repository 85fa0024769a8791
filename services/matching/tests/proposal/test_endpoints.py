import uuid
from typing import Any

import httpx
import pytest

from tandem_kit.testing import TestKeys

API = "/api/v1/matching"


async def test_anonymous(client: httpx.AsyncClient) -> None:
    resp = await client.post(f"{API}/proposals", json={"intake_id": str(uuid.uuid4())})
    assert resp.status_code == 401
    assert resp.headers["content-type"] == "application/problem+json"


async def test_missing_scope(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.post(
        f"{API}/proposals", json={"intake_id": str(uuid.uuid4())}, headers=keys.headers("matching:read")
    )
    assert resp.status_code == 403
    assert resp.json()["missing_scopes"] == ["matching:decide"]


async def test_valid_ranks_and_explains(world: Any) -> None:
    program = await world.program()
    strong = await world.coach(program)
    weak = await world.coach(program, skills={"finance": 2}, behavioural_focus=["delegation"])
    intake = await world.intake(program)
    proposal = await world.proposal(intake)
    assert proposal["status"] == "pending"
    assert proposal["provider_kind"] == "coach"
    assert proposal["weight_set_version"] == 1
    assert proposal["excluded_signals"] == []
    assert [c["provider_id"] for c in proposal["candidates"]] == [strong["id"], weak["id"]]
    for candidate in proposal["candidates"]:
        assert len(candidate["signals"]) == 5
        assert sum(s["contribution"] for s in candidate["signals"]) == pytest.approx(candidate["score"])
    top = {s["signal"]: s for s in proposal["candidates"][0]["signals"]}
    assert top["technical_skills"]["value"] == pytest.approx(1.0)
    assert top["technical_skills"]["weight_used"] == pytest.approx(35.0)
    events = await world.outbox("ProposalCreated")
    mine = [e["data"] for e in events if e["data"]["proposal_id"] == proposal["id"]]
    assert mine == [
        {
            "proposal_id": proposal["id"],
            "program_id": program["id"],
            "participant_id": intake["person_id"],
            "candidate_count": 2,
            "weight_set_version": 1,
        }
    ]


async def test_without_consent_is_409(world: Any) -> None:
    program = await world.program()
    await world.coach(program)
    intake = await world.intake(program, consent=False)
    resp = await world.client.post(
        f"{API}/proposals", json={"intake_id": intake["id"]}, headers=world.headers
    )
    assert resp.status_code == 409
    assert resp.headers["content-type"] == "application/problem+json"
    body = resp.json()
    assert body["type"] == "https://tandem.dev/problems/consent-required"
    assert body["person_id"] == intake["person_id"]
    created = await world.outbox("ProposalCreated")
    assert [e for e in created if e["data"]["participant_id"] == intake["person_id"]] == []


async def test_excluded_signals_listed_and_redistributed(world: Any) -> None:
    program = await world.program()
    await world.coach(program)
    # Everything but skills and working hours: technical skills and availability are left out.
    intake = await world.intake(
        program,
        consent=["behavioural_goals", "sponsorship_history", "mentee_outcomes", "timezone", "languages"],
    )
    proposal = await world.proposal(intake)
    excluded = {e["signal"]: e for e in proposal["excluded_signals"]}
    assert set(excluded) == {"technical_skills", "availability_overlap"}
    assert excluded["technical_skills"]["missing_fields"] == ["skills"]
    assert excluded["availability_overlap"]["missing_fields"] == ["working_hours"]
    assert proposal["redistributed_weight"] == pytest.approx(45.0)
    assert proposal["weights_used"] == pytest.approx(
        {
            "behavioural_goals": 25 / 55 * 100,
            "sponsorship_history": 20 / 55 * 100,
            "past_success": 10 / 55 * 100,
        }
    )
    signals = [s["signal"] for s in proposal["candidates"][0]["signals"]]
    assert signals == ["behavioural_goals", "sponsorship_history", "past_success"]
    assert any("technical_skills was left out" in note for note in proposal["explanation"])


async def test_ineligible_provider_never_proposed(world: Any) -> None:
    program = await world.program()
    eligible = await world.coach(program)
    await world.coach(
        program,
        calibration=[
            {**p, "challenge_skill": 2, "behavioural_tools": 2}
            for p in [
                {
                    "challenge_skill": 3,
                    "behavioural_tools": 3,
                    "confidentiality_practice": 3,
                    "context_fluency": 3,
                    "measurable_outcomes": 3,
                }
            ]
        ],
    )
    await world.mentor(program, commitment_signed=False)
    intake = await world.intake(program)
    proposal = await world.proposal(intake)
    assert [c["provider_id"] for c in proposal["candidates"]] == [eligible["id"]]


async def test_conflict_and_language_filtered(world: Any) -> None:
    program = await world.program()
    boss = uuid.uuid4()
    manager_coach = await world.coach(program, person_id=str(boss))
    await world.coach(program, languages=["fr"])
    ok = await world.coach(program)
    intake = await world.intake(program, manager_chain=[str(boss)])
    proposal = await world.proposal(intake)
    assert [c["provider_id"] for c in proposal["candidates"]] == [ok["id"]]
    assert manager_coach["id"] not in {c["provider_id"] for c in proposal["candidates"]}


async def test_promotion_related_mentor_track(world: Any) -> None:
    program = await world.program()
    mentor = await world.mentor(program)
    intake = await world.intake(program, triggers=["career_transition"])
    proposal = await world.proposal(intake)
    assert proposal["provider_kind"] == "mentor"
    assert proposal["promotion_rule_applied"] is True
    assert proposal["weights_used"]["sponsorship_history"] > proposal["weights_used"]["technical_skills"]
    assert proposal["candidates"][0]["provider_id"] == mentor["id"]


async def test_participant_sees_own_proposal_only(world: Any) -> None:
    program = await world.program()
    await world.coach(program)
    intake = await world.intake(program)
    proposal = await world.proposal(intake)
    own = await world.client.get(
        f"{API}/proposals/{proposal['id']}", headers=world.person(intake["person_id"])
    )
    assert own.status_code == 200
    assert own.json()["id"] == proposal["id"]
    other = await world.client.get(f"{API}/proposals/{proposal['id']}", headers=world.person(uuid.uuid4()))
    assert other.status_code == 404


async def test_participant_cannot_request_proposal(world: Any) -> None:
    program = await world.program()
    intake = await world.intake(program)
    resp = await world.client.post(
        f"{API}/proposals",
        json={"intake_id": intake["id"]},
        headers=world.person(intake["person_id"], "matching:read", "matching:decide"),
    )
    assert resp.status_code == 403
    assert resp.json()["type"].endswith("program-manager-required")


async def test_withdrawn_consent_invalidates_cache(world: Any) -> None:
    from tandem_kit.testing import eventually

    program = await world.program()
    await world.coach(program)
    intake = await world.intake(program)
    person_id = uuid.UUID(intake["person_id"])
    await world.settled(person_id)
    await world.proposal(intake)
    gate = world.app.state.consent_gate
    assert gate.cached(person_id)
    await world.withdraw(person_id)
    await eventually(lambda: not gate.cached(person_id))
    resp = await world.client.post(
        f"{API}/proposals", json={"intake_id": intake["id"]}, headers=world.headers
    )
    assert resp.status_code == 409
    assert resp.json()["type"].endswith("consent-required")
