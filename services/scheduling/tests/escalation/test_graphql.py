from typing import Any
from uuid import uuid4

import httpx

from tandem_kit.testing import TestKeys

from .conftest import MakeEscalation, pm_headers

RW = ("scheduling:read", "scheduling:write")


async def gql(
    client: httpx.AsyncClient, headers: dict[str, str], query: str, **variables: Any
) -> dict[str, Any]:
    resp = await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


async def test_mutations_call_the_same_service_as_rest(
    client: httpx.AsyncClient, keys: TestKeys, make_escalation: MakeEscalation, outbox: Any
) -> None:
    escalation = await make_escalation()
    owner = str(uuid4())
    pm = pm_headers(keys, uuid4(), *RW)
    assigned = await gql(
        client,
        pm,
        "mutation ($id: ID!, $to: ID!) { assignEscalation(id: $id, assigneeId: $to) { assigneeId status } }",
        id=str(escalation.id),
        to=owner,
    )
    assert assigned["data"]["assignEscalation"] == {"assigneeId": owner, "status": "open"}
    mine = keys.headers(*RW, sub=owner, person_id=owner)
    acknowledged = await gql(
        client,
        mine,
        "mutation ($id: ID!) { acknowledgeEscalation(id: $id) { status } }",
        id=str(escalation.id),
    )
    assert acknowledged["data"]["acknowledgeEscalation"] == {"status": "acknowledged"}
    resolved = await gql(
        client,
        mine,
        "mutation ($id: ID!, $n: String!) { resolveEscalation(id: $id, note: $n) { status resolutionNote } }",
        id=str(escalation.id),
        n="Kickoff rebooked for Thursday.",
    )
    assert resolved["data"]["resolveEscalation"] == {
        "status": "resolved",
        "resolutionNote": "Kickoff rebooked for Thursday.",
    }
    assert await outbox("EscalationResolved", escalation_id=str(escalation.id), resolved_by=owner) == 1


async def test_refusals_carry_the_problem(
    client: httpx.AsyncClient, keys: TestKeys, make_escalation: MakeEscalation
) -> None:
    escalation = await make_escalation()
    pm = pm_headers(keys, uuid4(), *RW)
    blank = await gql(
        client,
        pm,
        'mutation ($id: ID!) { resolveEscalation(id: $id, note: "") { status } }',
        id=str(escalation.id),
    )
    [error] = blank["errors"]
    assert error["extensions"]["status"] == 422
    assert error["extensions"]["errors"][0]["pointer"] == "#/input/note"
    participant = str(escalation.engagement_id)
    hidden = await gql(
        client,
        keys.headers(*RW, sub=participant, person_id=participant),
        "mutation ($id: ID!) { acknowledgeEscalation(id: $id) { status } }",
        id=str(escalation.id),
    )
    assert hidden["errors"][0]["extensions"]["status"] == 404
    read_only = await gql(
        client,
        keys.headers("scheduling:read"),
        "mutation ($id: ID!) { acknowledgeEscalation(id: $id) { status } }",
        id=str(escalation.id),
    )
    assert read_only["errors"][0]["extensions"]["status"] == 403


async def test_queue_pages_with_totals(
    client: httpx.AsyncClient, keys: TestKeys, make_escalation: MakeEscalation
) -> None:
    program = str(uuid4())
    first = await make_escalation(overdue_days=3, program_id=program)
    second = await make_escalation(overdue_days=2, program_id=program)
    query = "query ($p: ID, $o: Int!) { escalations(programId: $p, limit: 1, offset: $o) { total offset items { id } } }"
    pm = pm_headers(keys, uuid4(), "scheduling:read")
    page_one = await gql(client, pm, query, p=program, o=0)
    page_two = await gql(client, pm, query, p=program, o=1)
    assert page_one["data"]["escalations"] == {"total": 2, "offset": 0, "items": [{"id": str(first.id)}]}
    assert page_two["data"]["escalations"] == {"total": 2, "offset": 1, "items": [{"id": str(second.id)}]}
    too_big = await gql(client, pm, "{ escalations(limit: 501) { total } }")
    assert too_big["errors"][0]["extensions"]["status"] == 422
