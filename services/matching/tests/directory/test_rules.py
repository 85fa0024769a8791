"""Directory facts in matching: conflict-of-interest from manager links (a safety rule, no consent
needed), the consent-gated mentoring rules (level, department), and active leaders for the pool rule."""

import uuid
from datetime import UTC, datetime
from typing import Any

API = "/api/v1/matching"
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
ALL_BUT_HR = ["skills", "behavioural_goals", "working_hours", "timezone", "sponsorship_history", "languages"]


async def candidates(world: Any, intake: dict[str, Any], **changes: Any) -> list[str]:
    proposal = await world.proposal(intake, **changes)
    return [c["provider_id"] for c in proposal["candidates"]]


async def test_provider_who_manages_the_participant_is_filtered_without_consent(world: Any, hr: Any) -> None:
    program = await world.program()
    boss = await world.coach(program)
    other = await world.coach(program, skills={"data_platforms": 2})
    # The participant did not consent to `reporting_line`: the conflict filter still reads the link.
    person = await world.intake(program, consent=ALL_BUT_HR)
    await hr.send("PersonProvisioned", hr.provisioned(boss["person_id"], at=T0))
    await hr.send(
        "PersonProvisioned", hr.provisioned(person["person_id"], at=T0, manager_id=boss["person_id"])
    )

    assert await candidates(world, person) == [other["id"]]
    proposal = await world.proposal(person)
    resp = await world.client.post(
        f"{API}/proposals/{proposal['id']}/override",
        json={"provider_id": boss["id"], "reason": "the participant asked for them"},
        headers=world.headers,
    )
    assert resp.status_code == 409
    assert resp.json()["reasons"] == ["provider_is_manager_or_skip_level"]


async def test_participant_who_is_the_providers_skip_level_is_filtered(world: Any, hr: Any) -> None:
    program = await world.program()
    coach = await world.coach(program)
    other = await world.coach(program, skills={"data_platforms": 2})
    person = await world.intake(program)
    middle = uuid.uuid4()
    await hr.send("PersonProvisioned", hr.provisioned(person["person_id"], at=T0))
    await hr.send("PersonProvisioned", hr.provisioned(middle, at=T0, manager_id=person["person_id"]))
    await hr.send("PersonProvisioned", hr.provisioned(coach["person_id"], at=T0, manager_id=middle))

    assert await candidates(world, person) == [other["id"]]


async def test_same_direct_manager_is_filtered(world: Any, hr: Any) -> None:
    program = await world.program()
    peer = await world.coach(program)
    other = await world.coach(program, skills={"data_platforms": 2})
    person = await world.intake(program)
    manager = uuid.uuid4()
    await hr.send("PersonProvisioned", hr.provisioned(peer["person_id"], at=T0, manager_id=manager))
    await hr.send("PersonProvisioned", hr.provisioned(person["person_id"], at=T0, manager_id=manager))

    assert await candidates(world, person) == [other["id"]]


async def test_typed_in_chain_is_only_a_fallback(world: Any, hr: Any) -> None:
    program = await world.program()
    coach = await world.coach(program)
    person = await world.intake(program, manager_chain=[coach["person_id"]])
    # The directory knows nothing of the participant: the typed-in chain keeps the coach out.
    assert await candidates(world, person) == []
    # Once the directory knows them (another manager), its links win over the typed-in list.
    await hr.send("PersonProvisioned", hr.provisioned(person["person_id"], at=T0, manager_id=uuid.uuid4()))
    assert await candidates(world, person) == [coach["id"]]


async def test_mentor_seniority_applies_only_with_level_consent(world: Any, hr: Any) -> None:
    program = await world.program()
    junior = await world.mentor(program)
    senior = await world.mentor(program, skills={"ml_governance": 3})
    consenting = await world.intake(program, triggers=["high_stakes_behavioural_shift"])
    withholding = await world.intake(program, triggers=["high_stakes_behavioural_shift"], consent=ALL_BUT_HR)
    for person in (consenting, withholding):
        await hr.send("PersonProvisioned", hr.provisioned(person["person_id"], at=T0, level_rank=4))
    await hr.send("PersonProvisioned", hr.provisioned(junior["person_id"], at=T0, level_rank=4))
    await hr.send("PersonProvisioned", hr.provisioned(senior["person_id"], at=T0, level_rank=6))

    proposal = await world.proposal(consenting, kind="mentor")
    assert [c["provider_id"] for c in proposal["candidates"]] == [senior["id"]]
    # Consented, but the directory has no department for them: that rule is left out, and said so.
    assert proposal["directory_left_out"] == [
        {"rule": "cross_department", "field": "reporting_line", "why": "unknown"}
    ]
    # Without `job_level` (and `reporting_line`) consent the participant is ranked without them.
    proposal = await world.proposal(withholding, kind="mentor")
    assert {c["provider_id"] for c in proposal["candidates"]} == {junior["id"], senior["id"]}
    assert proposal["directory_left_out"] == [
        {"rule": "mentor_seniority", "field": "job_level", "why": "no_consent"},
        {"rule": "cross_department", "field": "reporting_line", "why": "no_consent"},
    ]
    query = "query($id: ID!) { proposal(id: $id) { directoryLeftOut { rule field why } } }"
    resp = await world.client.post(
        "/graphql", json={"query": query, "variables": {"id": proposal["id"]}}, headers=world.headers
    )
    assert resp.json()["data"]["proposal"]["directoryLeftOut"][0] == {
        "rule": "mentor_seniority",
        "field": "job_level",
        "why": "no_consent",
    }
    assert proposal["explanation"][-2] == (
        "the mentor-seniority rule (a mentor ranks above the participant's level) was left out: "
        "the participant did not consent to job_level."
    )


async def test_mentor_from_the_same_department_is_filtered(world: Any, hr: Any) -> None:
    program = await world.program()
    inside = await world.mentor(program)
    outside = await world.mentor(program, skills={"ml_governance": 3})
    # The second mentor withheld `reporting_line`: the rule cannot read their department.
    withheld = await world.mentor(program, skills={"ml_governance": 2}, consent=ALL_BUT_HR)
    person = await world.intake(program, triggers=["high_stakes_behavioural_shift"])
    await hr.send("PersonProvisioned", hr.provisioned(person["person_id"], at=T0, department="Data"))
    for mentor, department in ((inside, "Data"), (outside, "Sales"), (withheld, "Data")):
        await hr.send("PersonProvisioned", hr.provisioned(mentor["person_id"], at=T0, department=department))

    proposal = await world.proposal(person, kind="mentor")
    assert {c["provider_id"] for c in proposal["candidates"]} == {outside["id"], withheld["id"]}
    assert proposal["directory_left_out"] == [
        {"rule": "mentor_seniority", "field": "job_level", "why": "unknown"}
    ]


async def test_active_leaders_from_the_directory_unless_overridden(world: Any, hr: Any) -> None:
    typed = await world.program(active_leaders=40)
    counted = await world.program(active_leaders=None)
    before = (
        await world.client.get(f"{API}/programs/{counted['id']}/capacity", headers=world.headers)
    ).json()
    for rank in (3, 5, 7, 1):
        await hr.send("PersonProvisioned", hr.provisioned(uuid.uuid4(), at=T0, level_rank=rank))
    gone = uuid.uuid4()
    await hr.send("PersonProvisioned", hr.provisioned(gone, at=T0, level_rank=6))
    await hr.send(
        "PersonDeactivated",
        {"person_id": str(gone), "deactivated_at": "2026-12-02T09:00:00+00:00", "source": "scim"},
    )
    await world.coach(counted)

    report = (
        await world.client.get(f"{API}/programs/{counted['id']}/capacity", headers=world.headers)
    ).json()
    # Leaders: level_rank >= 3 (MATCHING_DIRECTORY__LEADER_LEVEL_RANK), active only.
    assert (report["active_leaders"], report["active_leaders_source"]) == (
        (before["active_leaders"] or 0) + 3,
        "directory",
    )
    assert report["coach_pool_share"] == 1 / report["active_leaders"]
    overridden = (
        await world.client.get(f"{API}/programs/{typed['id']}/capacity", headers=world.headers)
    ).json()
    assert (overridden["active_leaders"], overridden["active_leaders_source"]) == (40, "override")
