import uuid
from typing import Any

API = "/api/v1/matching"
QUERY = """
query ($id: ID!, $program: ID!) {
  match(id: $id) {
    id score track providerKind status
    participant { id }
    provider { id kind eligible }
    program { id name weights { version technicalSkills } }
  }
  matches(programId: $program) { items { id } total limit offset }
  program(id: $program) { id status matches(limit: 1) { items { id } total } }
}
"""


async def _approved(world: Any) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    program = await world.program()
    await world.coach(program)
    person = await world.intake(program)
    proposal = await world.proposal(person)
    match = await world.post(f"/proposals/{proposal['id']}/approve", {}, status=200)
    return program, proposal, match


async def test_match_with_participant_stub(world: Any) -> None:
    program, _, match = await _approved(world)
    resp = await world.client.post(
        "/graphql",
        json={"query": QUERY, "variables": {"id": match["id"], "program": program["id"]}},
        headers=world.headers,
    )
    body = resp.json()
    assert "errors" not in body, body
    got = body["data"]["match"]
    assert got["participant"] == {"id": match["participant_id"]}
    assert got["provider"] == {"id": match["provider_id"], "kind": "coach", "eligible": True}
    assert got["program"]["weights"] == {"version": 1, "technicalSkills": 35}
    assert body["data"]["matches"] == {"items": [{"id": match["id"]}], "total": 1, "limit": 100, "offset": 0}
    assert body["data"]["program"] == {
        "id": program["id"],
        "status": "active",
        "matches": {"items": [{"id": match["id"]}], "total": 1},
    }


async def test_proposal_candidates_explained(world: Any) -> None:
    _, proposal, _ = await _approved(world)
    query = "query ($id: ID!) { proposal(id: $id) { status candidates { rank score provider { id } signals { signal contribution } } } }"
    body = (
        await world.client.post(
            "/graphql", json={"query": query, "variables": {"id": proposal["id"]}}, headers=world.headers
        )
    ).json()
    got = body["data"]["proposal"]
    assert got["status"] == "approved"
    [candidate] = got["candidates"]
    assert abs(sum(s["contribution"] for s in candidate["signals"]) - candidate["score"]) < 1e-9


async def test_entities_resolve_match(world: Any) -> None:
    _, _, match = await _approved(world)
    query = "query ($r: [_Any!]!) { _entities(representations: $r) { ... on Match { id score } } }"
    body = (
        await world.client.post(
            "/graphql",
            json={"query": query, "variables": {"r": [{"__typename": "Match", "id": match["id"]}]}},
            headers=world.headers,
        )
    ).json()
    assert body["data"]["_entities"] == [{"id": match["id"], "score": match["score"]}]


async def test_other_person_sees_no_match(world: Any) -> None:
    program, _, match = await _approved(world)
    body = (
        await world.client.post(
            "/graphql",
            json={"query": QUERY, "variables": {"id": match["id"], "program": program["id"]}},
            headers=world.person(uuid.uuid4()),
        )
    ).json()
    assert body["data"]["match"] is None
    assert body["data"]["matches"] == {"items": [], "total": 0, "limit": 100, "offset": 0}


async def test_graphql_needs_read_scope(world: Any) -> None:
    resp = await world.client.post(
        "/graphql", json={"query": "{ __typename }"}, headers=world.keys.headers("consent:read")
    )
    assert resp.status_code == 403


async def test_exported_schema_is_current() -> None:
    from pathlib import Path

    from tandem_matching.graphql import schema

    exported = Path(__file__).resolve().parents[1] / "schema.graphql"
    assert exported.read_text() == schema.as_str() + "\n"
