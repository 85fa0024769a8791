"""Every matching action through `/graphql` too (issue 15 item 9): the same service call, scope and
object checks as REST; a refusal is a GraphQL error whose extensions carry the REST problem, and a
refused mutation leaves nothing behind."""

import uuid
from datetime import date
from typing import Any

API = "/api/v1/matching"
OFFICE = [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(5)]
MATCH = "id status providerKind endReason"


async def gql(
    world: Any, query: str, headers: dict[str, str] | None = None, **variables: Any
) -> dict[str, Any]:
    resp = await world.client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers or world.headers
    )
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


def intake_input(**changes: Any) -> dict[str, Any]:
    return {
        "person_id": str(uuid.uuid4()),
        "triggers": ["performance_gap"],
        "timezone": "Europe/Berlin",
        "working_hours": OFFICE,
        "languages": ["en"],
        "wanted_skills": {"ml_engineering": 4},
        **changes,
    }


SUBMIT = "mutation ($p: UUID!, $i: JSON!) { submitIntake(programId: $p, input: $i) { id track personId } }"
PROPOSE = "mutation ($i: UUID!, $a: Boolean!) { createProposal(intakeId: $i, autoApprove: $a) { id status explanation } }"


async def _intake(world: Any, program: dict[str, Any], **changes: Any) -> dict[str, Any]:
    body = await gql(world, SUBMIT, p=program["id"], i=intake_input(**changes))
    assert "errors" not in body, body
    intake: dict[str, Any] = body["data"]["submitIntake"]
    await world.grant(uuid.UUID(intake["personId"]))
    return intake


async def _proposal(world: Any, intake: dict[str, Any]) -> dict[str, Any]:
    body = await gql(world, PROPOSE, i=intake["id"], a=False)
    assert "errors" not in body, body
    proposal: dict[str, Any] = body["data"]["createProposal"]
    return proposal


async def test_a_program_run_through_graphql(world: Any) -> None:
    created = await gql(
        world,
        "mutation ($i: JSON!) { createProgram(input: $i) { id status coachCaseloadLimit } }",
        i={
            "name": "Platform leads",
            "tracks": ["coaching"],
            "starts_on": "2026-01-05",
            "ends_on": "2026-12-18",
        },
    )
    program = {"id": created["data"]["createProgram"]["id"]}
    coach = await world.coach(program)
    intake = await _intake(world, program)
    proposal = await _proposal(world, intake)

    approved = await gql(
        world, f"mutation ($id: UUID!) {{ approveProposal(id: $id) {{ {MATCH} }} }}", id=proposal["id"]
    )
    match = approved["data"]["approveProposal"]
    ended = await gql(
        world,
        f'mutation ($id: UUID!) {{ endMatch(id: $id, reason: "completed", note: "12 sessions held") {{ {MATCH} }} }}',
        id=match["id"],
    )

    assert created["data"]["createProgram"]["status"] == "active"
    assert created["data"]["createProgram"]["coachCaseloadLimit"] == 15
    assert (intake["track"], proposal["status"]) == ("coach", "pending")
    assert (match["status"], match["providerKind"]) == ("active", "coach")
    assert (ended["data"]["endMatch"]["status"], ended["data"]["endMatch"]["endReason"]) == (
        "ended",
        "completed",
    )
    rest = (await world.client.get(f"{API}/matches/{match['id']}", headers=world.headers)).json()
    assert (rest["status"], rest["provider_id"]) == ("ended", coach["id"])


async def test_pause_through_graphql_refuses_an_intake_with_the_rest_problem(world: Any) -> None:
    program = await world.program()

    paused = await gql(
        world,
        'mutation ($id: UUID!) { pauseProgram(id: $id, reason: "data quality below gate") { status statusReason } }',
        id=program["id"],
    )
    refused = await gql(world, SUBMIT, p=program["id"], i=intake_input())

    assert paused["data"]["pauseProgram"] == {"status": "paused", "statusReason": "data quality below gate"}
    [error] = refused["errors"]
    assert error["extensions"]["status"] == 409
    assert error["extensions"]["type"].endswith("/program-paused")
    assert (error["extensions"]["rule"], error["extensions"]["program_id"]) == (
        "program-paused",
        program["id"],
    )
    assert refused["data"] is None


async def test_resume_and_close_through_graphql(world: Any) -> None:
    program = await world.program()
    for action in ("pauseProgram", "resumeProgram", "closeProgram"):
        await gql(
            world,
            f'mutation ($id: UUID!) {{ {action}(id: $id, reason: "ops review") {{ status }} }}',
            id=program["id"],
        )

    reopened = await gql(
        world,
        'mutation ($id: UUID!) { resumeProgram(id: $id, reason: "again") { status } }',
        id=program["id"],
    )

    assert reopened["errors"][0]["extensions"]["rule"] == "program-closed"
    got = await world.client.get(f"{API}/programs/{program['id']}", headers=world.headers)
    assert got.json()["status"] == "closed"


async def test_bad_input_names_the_field_inside_the_input(world: Any) -> None:
    program = await world.program()

    body = await gql(world, SUBMIT, p=program["id"], i=intake_input(triggers=[]))

    [error] = body["errors"]
    assert error["extensions"]["status"] == 422
    assert [e["pointer"] for e in error["extensions"]["errors"]] == ["#/input/triggers"]


async def test_a_read_only_token_cannot_decide(world: Any) -> None:
    program = await world.program()

    body = await gql(
        world,
        'mutation ($id: UUID!) { pauseProgram(id: $id, reason: "nope") { status } }',
        headers=world.keys.headers("matching:read"),
        id=program["id"],
    )

    assert (body["errors"][0]["extensions"]["status"], body["errors"][0]["extensions"]["missing_scopes"]) == (
        403,
        ["matching:decide"],
    )


async def test_a_participant_cannot_approve_through_graphql_either(world: Any) -> None:
    program = await world.program()
    await world.coach(program)
    intake = await _intake(world, program)
    proposal = await _proposal(world, intake)

    body = await gql(
        world,
        "mutation ($id: UUID!) { approveProposal(id: $id) { id } }",
        headers=world.person(intake["personId"], "matching:read", "matching:write", "matching:decide"),
        id=proposal["id"],
    )

    assert body["errors"][0]["extensions"]["type"].endswith("/program-manager-required")


async def test_a_participant_submits_their_own_intake(world: Any) -> None:
    program = await world.program()
    person = uuid.uuid4()

    own = await gql(
        world,
        SUBMIT,
        headers=world.person(person, "matching:read", "matching:write"),
        p=program["id"],
        i=intake_input(person_id=str(person)),
    )

    assert own["data"]["submitIntake"]["personId"] == str(person)


async def test_a_refused_mutation_leaves_nothing_behind(world: Any) -> None:
    """createProposal with autoApprove saves the proposal, then the sensitive best candidate refuses the
    approval: the proposal must not survive the refusal (the request itself still commits)."""
    program = await world.program()
    await world.coach(program, sensitive_role=True)
    intake = await _intake(world, program)

    body = await gql(world, PROPOSE, i=intake["id"], a=True)

    assert body["errors"][0]["extensions"]["rule"] == "provider-sensitive-role"
    listed = await world.client.get(f"{API}/programs/{program['id']}/proposals", headers=world.headers)
    assert listed.json()["total"] == 0


async def test_earlier_mutations_of_the_request_stay_when_a_later_one_is_refused(world: Any) -> None:
    program = await world.program()
    other = await world.program()
    await world.client.post(
        f"{API}/programs/{other['id']}/pause", json={"reason": "hold"}, headers=world.headers
    )

    body = await gql(
        world,
        """mutation ($a: UUID!, $b: UUID!) {
          first: pauseProgram(id: $a, reason: "first") { status }
          second: closeProgram(id: $b, reason: "second") { status }
          third: submitIntake(programId: $b, input: {person_id: "x"}) { id }
        }""",
        a=program["id"],
        b=other["id"],
    )

    # The refused third field is non-null, so `data` is null; the first two ran and stay.
    assert (body["data"], [e["path"] for e in body["errors"]]) == (None, [["third"]])
    statuses = [
        (await world.client.get(f"{API}/programs/{p['id']}", headers=world.headers)).json()["status"]
        for p in (program, other)
    ]
    assert statuses == ["paused", "closed"]


async def test_reject_override_and_reassign_through_graphql(world: Any) -> None:
    program = await world.program()
    first = await world.coach(program)
    second = await world.coach(program, skills={"data_platforms": 2})
    intake = await _intake(world, program)
    rejected = await gql(
        world,
        'mutation ($id: UUID!) { rejectProposal(id: $id, reason: "wrong time zone") { status } }',
        id=(await _proposal(world, intake))["id"],
    )
    overridden = await gql(
        world,
        'mutation ($id: UUID!, $p: UUID!) { overrideProposal(id: $id, providerId: $p, reason: "sponsor fit") { id provider { id } } }',
        id=(await _proposal(world, intake))["id"],
        p=second["id"],
    )
    match = overridden["data"]["overrideProposal"]

    reassigned = await gql(
        world,
        'mutation ($id: UUID!, $p: UUID!) { reassignMatch(id: $id, providerId: $p, reason: "conflict found") { oldMatch { status } newMatch { provider { id } } } }',
        id=match["id"],
        p=first["id"],
    )

    assert rejected["data"]["rejectProposal"]["status"] == "rejected"
    assert match["provider"]["id"] == second["id"]
    assert reassigned["data"]["reassignMatch"] == {
        "oldMatch": {"status": "reassigned"},
        "newMatch": {"provider": {"id": first["id"]}},
    }


async def test_provider_weights_calibration_and_cohort_through_graphql(world: Any) -> None:
    program = await world.program()
    coach = await world.coach(program)
    cohort = await world.post(f"/programs/{program['id']}/cohorts", {"name": "Wave 1"})
    await _intake(world, program, cohort_id=cohort["id"])

    updated = await gql(
        world,
        'mutation ($id: UUID!) { updateProvider(id: $id, input: {capacity: 9, sourcing: "external"}) { capacity sourcing } }',
        id=coach["id"],
    )
    weights = await gql(
        world,
        'mutation ($p: UUID!) { updateWeights(programId: $p, input: {technical_skills: 10, behavioural_goals: 20, sponsorship_history: 30, availability_overlap: 20, past_success: 20, reason: "sponsorship first"}) { version sponsorshipHistory } }',
        p=program["id"],
    )
    calibration = await gql(
        world,
        "mutation ($id: UUID!, $i: JSON!) { recordCalibration(providerId: $id, input: $i) { heldOn panel } }",
        id=coach["id"],
        i={"held_on": date.today().isoformat(), "panel": [str(uuid.uuid4())]},
    )
    run = await gql(
        world,
        "mutation ($c: UUID!) { runCohortAssignment(cohortId: $c) { dryRun participants pairs { providerId } } }",
        c=cohort["id"],
    )
    listed = await gql(
        world,
        "query ($p: ID!) { program(id: $p) { providers { total items { id calibrationRecords { total } } } } }",
        p=program["id"],
    )

    assert updated["data"]["updateProvider"] == {"capacity": 9, "sourcing": "external"}
    assert weights["data"]["updateWeights"] == {"version": 2, "sponsorshipHistory": 30}
    assert calibration["data"]["recordCalibration"]["heldOn"] == date.today().isoformat()
    assert run["data"]["runCohortAssignment"] == {
        "dryRun": True,
        "participants": 1,
        "pairs": [{"providerId": coach["id"]}],
    }
    assert listed["data"]["program"]["providers"] == {
        "total": 1,
        "items": [{"id": coach["id"], "calibrationRecords": {"total": 1}}],
    }
    events = [
        e for e in await world.outbox("ProviderCapacityChanged") if e["data"]["provider_id"] == coach["id"]
    ]
    assert [e["data"]["capacity"] for e in events] == [9]


async def test_proposals_are_paged(world: Any) -> None:
    program = await world.program()
    await world.coach(program)
    for _ in range(3):
        await _proposal(world, await _intake(world, program))

    body = await gql(
        world,
        'query ($p: ID!) { proposals(programId: $p, status: "pending", limit: 2, offset: 1) { total limit offset items { status } } }',
        p=program["id"],
    )

    assert body["data"]["proposals"] == {
        "total": 3,
        "limit": 2,
        "offset": 1,
        "items": [{"status": "pending"}, {"status": "pending"}],
    }
