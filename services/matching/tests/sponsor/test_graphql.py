"""Sponsor actions through `/graphql`: the same service, scopes and object-level checks as REST."""

from datetime import UTC, datetime
from typing import Any

API = "/api/v1/matching"
TODAY = datetime.now(UTC).date().isoformat()
LOG = """
mutation ($match: ID!, $kind: String!, $date: Date!) {
  logSponsorAction(matchId: $match, kind: $kind, actionDate: $date, description: "intro to the CTO") {
    id kind actionDate outcome description
  }
}
"""
CORRECT = """
mutation ($match: ID!, $action: ID!) {
  correctSponsorAction(matchId: $match, actionId: $action, outcome: "succeeded") { id outcome correctedAt }
}
"""
RETRACT = """
mutation ($match: ID!, $action: ID!) { retractSponsorAction(matchId: $match, actionId: $action) { retractedAt } }
"""
READ = """
query ($match: ID!) {
  match(id: $match) {
    sponsorActionsByWeek15
    sponsorActions(limit: 10) { total limit offset items { id kind outcome retractedAt } }
  }
}
"""


async def _mentoring(world: Any) -> dict[str, Any]:
    program = await world.program()
    await world.mentor(program)
    person = await world.intake(program, triggers=["career_transition"])
    proposal = await world.proposal(person)
    return await world.post(f"/proposals/{proposal['id']}/approve", {}, status=200)


async def _gql(world: Any, query: str, headers: dict[str, str], **variables: Any) -> dict[str, Any]:
    resp = await world.client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


async def test_mentor_logs_corrects_and_retracts(world: Any) -> None:
    match = await _mentoring(world)
    mentor = world.person(match["provider_person_id"], "matching:read", "matching:write", roles=("mentor",))

    logged = await _gql(world, LOG, mentor, match=match["id"], kind="introduction", date=TODAY)

    assert "errors" not in logged, logged
    action = logged["data"]["logSponsorAction"]
    assert (action["kind"], action["outcome"], action["description"]) == (
        "introduction",
        "pending",
        "intro to the CTO",
    )
    read = (await _gql(world, READ, mentor, match=match["id"]))["data"]["match"]
    assert read["sponsorActionsByWeek15"] is True
    assert (read["sponsorActions"]["total"], read["sponsorActions"]["limit"]) == (1, 10)
    corrected = await _gql(world, CORRECT, mentor, match=match["id"], action=action["id"])
    assert corrected["data"]["correctSponsorAction"]["outcome"] == "succeeded"
    retracted = await _gql(world, RETRACT, mentor, match=match["id"], action=action["id"])
    assert retracted["data"]["retractSponsorAction"]["retractedAt"] is not None
    after = (await _gql(world, READ, world.headers, match=match["id"]))["data"]["match"]
    assert after["sponsorActionsByWeek15"] is False
    assert after["sponsorActions"]["items"][0]["retractedAt"] is not None
    events = [e for e in await world.outbox("SponsorActionLogged") if e["data"]["action_id"] == action["id"]]
    assert [e["data"]["outcome"] for e in events] == ["pending", "succeeded"]


async def test_refusals_carry_the_problem(world: Any) -> None:
    match = await _mentoring(world)
    mentee = world.person(match["participant_id"], "matching:read", "matching:write")

    refused = await _gql(world, LOG, mentee, match=match["id"], kind="introduction", date=TODAY)
    invalid = await _gql(world, LOG, world.headers, match=match["id"], kind="lunch", date=TODAY)
    unscoped = await _gql(
        world, LOG, world.person(match["provider_person_id"]), match=match["id"], kind="advocacy", date=TODAY
    )

    assert refused["errors"][0]["extensions"]["status"] == 403
    assert refused["errors"][0]["extensions"]["type"].endswith("/mentor-required")
    assert invalid["errors"][0]["extensions"]["status"] == 422
    assert [e["pointer"] for e in invalid["errors"][0]["extensions"]["errors"]] == ["#/input/kind"]
    assert unscoped["errors"][0]["extensions"]["status"] == 403
    assert await world.outbox("SponsorActionLogged") == []


async def test_a_coach_match_has_an_empty_page_and_no_gate(world: Any) -> None:
    program = await world.program()
    await world.coach(program)
    person = await world.intake(program)
    proposal = await world.proposal(person)
    match = await world.post(f"/proposals/{proposal['id']}/approve", {}, status=200)

    body = await _gql(world, READ, world.headers, match=match["id"])

    assert "errors" not in body, body
    assert body["data"]["match"]["sponsorActionsByWeek15"] is None
    assert body["data"]["match"]["sponsorActions"] == {"total": 0, "limit": 10, "offset": 0, "items": []}


PAIR = """
query ($a: ID!, $b: ID!) {
  a: match(id: $a) {
    second: sponsorActions(limit: 1, offset: 1) { total items { kind } }
    past: sponsorActions(limit: 5, offset: 5) { total items { kind } }
  }
  b: match(id: $b) {
    second: sponsorActions(limit: 1, offset: 1) { total items { kind } }
    past: sponsorActions(limit: 5, offset: 5) { total items { kind } }
  }
}
"""


async def test_matches_of_one_request_page_their_actions_each(world: Any) -> None:
    program = await world.program()
    await world.mentor(program, capacity=3)
    matches = []
    for _ in range(2):
        person = await world.intake(program, triggers=["career_transition"])
        proposal = await world.proposal(person)
        matches.append(await world.post(f"/proposals/{proposal['id']}/approve", {}, status=200))
    for kind in ("introduction", "advocacy"):
        await _gql(world, LOG, world.headers, match=matches[0]["id"], kind=kind, date=TODAY)

    body = await _gql(world, PAIR, world.headers, a=matches[0]["id"], b=matches[1]["id"])

    assert "errors" not in body, body
    busy, quiet = body["data"]["a"], body["data"]["b"]
    assert busy["second"] == {"total": 2, "items": [{"kind": "advocacy"}]}
    assert busy["past"] == {"total": 2, "items": []}
    assert quiet["second"] == quiet["past"] == {"total": 0, "items": []}
