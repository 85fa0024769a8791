"""The pilot mutations and queries: the same service calls as REST, refusals as problem extensions."""

import uuid
from typing import Any

import httpx

from tandem_kit.testing import TestKeys

CREATE = """
mutation($program: UUID!, $sponsor: UUID!, $cohort: [UUID!]!) {
  createPilot(programId: $program, sponsorId: $sponsor, startDate: "2026-01-05", cohort: $cohort,
              linkedKpis: [{name: "csat"}]) {
    id cohortSize endDate linkedKpis { name better } timeline { gate dueOn }
  }
}
"""


async def gql(
    client: httpx.AsyncClient, headers: dict[str, str], query: str, **variables: Any
) -> dict[str, Any]:
    resp = await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


async def test_create_evaluate_and_decide(client: httpx.AsyncClient, manager: dict[str, str]) -> None:
    cohort = [str(uuid.uuid4()) for _ in range(20)]
    created = await gql(
        client, manager, CREATE, program=str(uuid.uuid4()), sponsor=str(uuid.uuid4()), cohort=cohort
    )
    pilot = created["data"]["createPilot"]
    assert (pilot["cohortSize"], pilot["endDate"]) == (20, "2026-06-22")
    assert pilot["linkedKpis"] == [{"name": "csat", "better": "higher"}]
    assert pilot["timeline"][0] == {"gate": "week_2", "dueOn": "2026-01-19"}

    evaluated = await gql(
        client,
        manager,
        """mutation($id: UUID!) { evaluatePilotGate(pilotId: $id, gate: "week_2", asOf: "2026-01-19") {
             id verdict criteria { name standing } evidence { name value } } }""",
        id=pilot["id"],
    )
    evaluation = evaluated["data"]["evaluatePilotGate"]
    # Nobody in this cohort granted analytics consent: intake cannot be counted.
    assert evaluation["verdict"] == "red"
    assert evaluation["criteria"] == [
        {"name": "cohort_size", "standing": "met"},
        {"name": "intake_rate", "standing": "missing"},
    ]
    assert {"name": "cohort_size", "value": 20.0} in evaluation["evidence"]

    decided = await gql(
        client,
        manager,
        """mutation($id: UUID!, $e: UUID!) { recordPilotDecision(pilotId: $id, gate: "week_2", decision: "extend",
             rationale: "Consent campaign first", evaluationId: $e) { decision decidedBy evaluationId } }""",
        id=pilot["id"],
        e=evaluation["id"],
    )
    assert decided["data"]["recordPilotDecision"]["decision"] == "extend"
    assert decided["data"]["recordPilotDecision"]["evaluationId"] == evaluation["id"]

    listed = await gql(
        client,
        manager,
        "query($id: UUID!) { gateEvaluations(pilotId: $id) { total items { gate verdict } } }",
        id=pilot["id"],
    )
    assert listed["data"]["gateEvaluations"] == {"total": 1, "items": [{"gate": "week_2", "verdict": "red"}]}


async def test_a_short_cohort_is_a_problem_naming_the_field(
    client: httpx.AsyncClient, manager: dict[str, str]
) -> None:
    cohort = [str(uuid.uuid4()) for _ in range(19)]

    body = await gql(
        client, manager, CREATE, program=str(uuid.uuid4()), sponsor=str(uuid.uuid4()), cohort=cohort
    )

    extensions = body["errors"][0]["extensions"]
    assert extensions["status"] == 422
    assert extensions["errors"][0]["pointer"] == "#/input/cohort"


async def test_a_participant_may_not_decide(
    client: httpx.AsyncClient, keys: TestKeys, manager: dict[str, str]
) -> None:
    cohort = [str(uuid.uuid4()) for _ in range(20)]
    created = await gql(
        client, manager, CREATE, program=str(uuid.uuid4()), sponsor=str(uuid.uuid4()), cohort=cohort
    )
    member = keys.headers("analytics:write", "analytics:read", person_id=cohort[0], roles=["participant"])

    body = await gql(
        client,
        member,
        """mutation($id: UUID!) { recordPilotDecision(pilotId: $id, gate: "week_2", decision: "go",
             rationale: "me") { id } }""",
        id=created["data"]["createPilot"]["id"],
    )

    assert body["errors"][0]["extensions"]["status"] == 403


async def test_matched_comparison_query(client: httpx.AsyncClient, keys: TestKeys) -> None:
    body = await gql(
        client,
        keys.headers("analytics:read"),
        """query($p: UUID!) { matchedComparison(programId: $p, since: "2026-01-01", until: "2027-01-01") {
             method covariates promotion { status participants effect } businessKpi { name } } }""",
        p=str(uuid.uuid4()),
    )

    assert body["data"]["matchedComparison"] == {
        "method": "coarsened_exact_matching",
        "covariates": ["role_level", "department", "tenure_band", "complexity_band"],
        "promotion": {"status": "insufficient_data", "participants": 0, "effect": None},
        "businessKpi": None,
    }
