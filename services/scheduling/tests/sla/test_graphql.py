from typing import Any
from uuid import uuid4

import httpx

from tandem_kit.testing import TestKeys

SET = """
mutation ($p: ID!, $policies: [SlaPolicyInput!]!) {
  setSlaPolicies(programId: $p, policies: $policies) { layer kickoffDays nextSessionDays configured }
}
"""


async def gql(
    client: httpx.AsyncClient, headers: dict[str, str], query: str, **variables: Any
) -> dict[str, Any]:
    resp = await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


def manager(keys: TestKeys, *scopes: str) -> dict[str, str]:
    person = str(uuid4())
    return keys.headers(*scopes, sub=person, person_id=person, roles=["program_manager"])


async def test_set_and_read_policies(client: httpx.AsyncClient, keys: TestKeys) -> None:
    program = str(uuid4())
    headers = manager(keys, "scheduling:read", "scheduling:write")
    policies = [{"layer": "mentoring", "kickoffDays": 10, "nextSessionDays": 40}]
    answer = await gql(client, headers, SET, p=program, policies=policies)
    assert answer["data"]["setSlaPolicies"][1] == {
        "layer": "mentoring",
        "kickoffDays": 10,
        "nextSessionDays": 40,
        "configured": True,
    }
    read = await gql(
        client, headers, "query ($p: ID!) { slaPolicies(programId: $p) { layer configured } }", p=program
    )
    assert [p["configured"] for p in read["data"]["slaPolicies"]] == [False, True, False]


async def test_refusals_carry_the_problem(client: httpx.AsyncClient, keys: TestKeys) -> None:
    bad = await gql(
        client,
        manager(keys, "scheduling:read", "scheduling:write"),
        SET,
        p=str(uuid4()),
        policies=[{"layer": "coaching", "kickoffDays": 0, "nextSessionDays": 21}],
    )
    assert bad["errors"][0]["extensions"]["status"] == 422
    assert bad["errors"][0]["extensions"]["errors"][0]["pointer"] == "#/input/policies/0/kickoff_days"
    person = str(uuid4())
    participant = keys.headers("scheduling:read", "scheduling:write", sub=person, person_id=person)
    refused = await gql(
        client,
        participant,
        SET,
        p=str(uuid4()),
        policies=[{"layer": "coaching", "kickoffDays": 7, "nextSessionDays": 21}],
    )
    assert refused["errors"][0]["extensions"]["status"] == 403


async def test_mark_checkpoint_session(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, monday: Any
) -> None:
    engagement = await make_engagement()
    booked = await client.post(
        f"/api/v1/scheduling/engagements/{engagement.id}/sessions",
        json={"starts_at": monday.isoformat(), "kind": "regular"},
        headers=keys.headers("scheduling:write"),
    )
    cadence = await client.get(
        f"/api/v1/scheduling/engagements/{engagement.id}/cadence", headers=keys.headers("scheduling:read")
    )
    checkpoint = cadence.json()["checkpoints"][0]["id"]
    answer = await gql(
        client,
        keys.headers("scheduling:read", "scheduling:write"),
        "mutation ($e: ID!, $c: ID!, $s: ID!) { markCheckpointSession(engagementId: $e, checkpointId: $c,"
        " sessionId: $s) { id seq sessionId heldAt } }",
        e=str(engagement.id),
        c=checkpoint,
        s=booked.json()["id"],
    )
    assert answer["data"]["markCheckpointSession"] == {
        "id": checkpoint,
        "seq": 1,
        "sessionId": booked.json()["id"],
        "heldAt": None,
    }
