"""Providers' own `matching` consent, through the real consent app: filter, 409s, exclusions."""

import uuid
from typing import Any

import pytest

from tandem_kit.testing import eventually

API = "/api/v1/matching"
PROBLEM = "https://tandem.dev/problems/provider-consent-required"
NO_OUTCOMES = ["skills", "behavioural_goals", "sponsorship_history", "working_hours", "timezone", "languages"]


async def _post(world: Any, path: str, body: dict[str, Any]) -> Any:
    return await world.client.post(API + path, json=body, headers=world.headers)


def _names_provider(resp: Any, provider: dict[str, Any]) -> None:
    assert resp.status_code == 409, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
    body = resp.json()
    assert body["type"] == PROBLEM
    assert (body["provider_id"], body["person_id"], body["purpose"]) == (
        provider["id"],
        provider["person_id"],
        "matching",
    )


async def test_unconsented_provider_is_never_proposed_and_the_filter_says_why(world: Any) -> None:
    program = await world.program()
    consented = await world.coach(program, skills={"finance": 1})
    # The better fit on every signal, but without their own consent.
    silent = await world.coach(program, consent=False)
    intake = await world.intake(program)

    proposal = await world.proposal(intake, k=10)
    assert [c["provider_id"] for c in proposal["candidates"]] == [consented["id"]]

    cohort = await world.post(f"/programs/{program['id']}/cohorts", {"name": "Wave"})
    member = await world.intake(program, cohort_id=cohort["id"])
    resp = await _post(
        world,
        f"/cohorts/{cohort['id']}/assignments?dry_run=true",
        {"locked": [{"intake_id": member["id"], "provider_id": silent["id"]}]},
    )
    assert resp.status_code == 422, resp.text
    assert resp.json()["reasons"] == ["provider_consent"]
    assert resp.json()["pointer"] == "#/locked/0/provider_id"


async def test_override_approve_and_reassign_to_an_unconsented_provider_are_409(world: Any) -> None:
    program = await world.program()
    first = await world.coach(program)
    silent = await world.coach(program, consent=False)
    intake = await world.intake(program)
    proposal = await world.proposal(intake)

    resp = await _post(
        world,
        f"/proposals/{proposal['id']}/override",
        {"provider_id": silent["id"], "reason": "best fit on paper"},
    )
    _names_provider(resp, silent)

    # Approve: the ranked provider withdraws after the proposal was made.
    await world.settled(uuid.UUID(first["person_id"]))
    await world.withdraw(uuid.UUID(first["person_id"]))
    await eventually(lambda: not world.app.state.consent_gate.cached(uuid.UUID(first["person_id"])))
    _names_provider(await _post(world, f"/proposals/{proposal['id']}/approve", {}), first)
    assert (await world.client.get(f"{API}/proposals/{proposal['id']}", headers=world.headers)).json()[
        "status"
    ] == "pending"

    # Reassign: a live match may not move to someone who has not consented.
    second = await world.coach(program)
    other = await world.intake(program)
    matched = await world.proposal(other)
    approved = await _post(world, f"/proposals/{matched['id']}/approve", {})
    assert approved.status_code == 200, approved.text
    assert approved.json()["provider_id"] == second["id"]
    resp = await _post(
        world, f"/matches/{approved.json()['id']}/reassign", {"provider_id": silent["id"], "reason": "fit"}
    )
    _names_provider(resp, silent)
    match = await world.client.get(f"{API}/matches/{approved.json()['id']}", headers=world.headers)
    assert match.json()["status"] == "active"


async def test_a_provider_who_withdraws_is_dropped_from_the_next_proposal(world: Any) -> None:
    program = await world.program()
    leaving = await world.coach(program)
    staying = await world.coach(program, skills={"finance": 2})
    person_id = uuid.UUID(leaving["person_id"])
    intake = await world.intake(program)
    await world.settled(person_id)
    before = await world.proposal(intake)
    assert [c["provider_id"] for c in before["candidates"]] == [leaving["id"], staying["id"]]
    gate = world.app.state.consent_gate
    assert gate.cached(person_id)

    await world.withdraw(person_id)
    await eventually(lambda: not gate.cached(person_id))  # the ConsentWithdrawn consumer

    after = await world.proposal(intake)
    assert [c["provider_id"] for c in after["candidates"]] == [staying["id"]]


async def test_provider_field_exclusions_are_named_and_redistributed(world: Any) -> None:
    program = await world.program()
    partial = await world.coach(program, consent=NO_OUTCOMES)
    full = await world.coach(program, skills={"finance": 2})
    intake = await world.intake(program)

    proposal = await world.proposal(intake)
    # The participant consented to everything: nothing is excluded for the proposal as a whole.
    assert proposal["excluded_signals"] == []
    by_id = {c["provider_id"]: c for c in proposal["candidates"]}
    assert set(by_id) == {partial["id"], full["id"]}
    assert by_id[full["id"]]["provider_excluded_signals"] == []
    assert len(by_id[full["id"]]["signals"]) == 5

    candidate = by_id[partial["id"]]
    assert candidate["provider_excluded_signals"] == [
        {
            "signal": "past_success",
            "missing_fields": ["mentee_outcomes"],
            "nominal_weight": pytest.approx(10.0),
        }
    ]
    signals = {s["signal"]: s for s in candidate["signals"]}
    assert "past_success" not in signals
    assert {s: v["weight_used"] for s, v in signals.items()} == pytest.approx(
        {
            "technical_skills": 35 / 90 * 100,
            "behavioural_goals": 25 / 90 * 100,
            "sponsorship_history": 20 / 90 * 100,
            "availability_overlap": 10 / 90 * 100,
        }
    )
    assert sum(s["contribution"] for s in candidate["signals"]) == pytest.approx(candidate["score"])

    # The explanation is stored with the proposal, not recomputed on read.
    stored = (await world.client.get(f"{API}/proposals/{proposal['id']}", headers=world.headers)).json()
    assert {c["provider_id"]: c for c in stored["candidates"]}[partial["id"]] == candidate
    # Which signals a coach withheld is about the coach: the participant reading their own proposal
    # sees the ranking, not the coach's consent choices.
    own = await world.client.get(
        f"{API}/proposals/{proposal['id']}", headers=world.person(intake["person_id"])
    )
    assert own.status_code == 200, own.text
    mine = {c["provider_id"]: c for c in own.json()["candidates"]}[partial["id"]]
    assert mine["provider_excluded_signals"] == []
    assert mine["score"] == candidate["score"]


async def test_cohort_assignment_skips_unconsented_providers(world: Any) -> None:
    program = await world.program()
    cohort = await world.post(f"/programs/{program['id']}/cohorts", {"name": "Wave 1"})
    silent = await world.coach(program, capacity=15, consent=False)
    consented = await world.coach(program, capacity=15, skills={"finance": 3})
    people = [await world.intake(program, cohort_id=cohort["id"]) for _ in range(3)]

    for dry_run in ("true", "false"):
        resp = await _post(world, f"/cohorts/{cohort['id']}/assignments?dry_run={dry_run}", {})
        assert resp.status_code == 200, resp.text
        run = resp.json()
        assert run["coverage"] == 1.0
        assert {p["provider_id"] for p in run["pairs"]} == {consented["id"]}
        assert {p["intake_id"] for p in run["pairs"]} == {p["id"] for p in people}
    listed = await world.client.get(f"{API}/programs/{program['id']}/proposals", headers=world.headers)
    for proposal in listed.json()["items"]:
        assert silent["id"] not in {c["provider_id"] for c in proposal["candidates"]}
