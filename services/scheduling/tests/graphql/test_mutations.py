"""The scheduling subgraph's mutations call the same service functions as REST: same scopes, same
object-level checks, refusals as GraphQL errors carrying the problem (docs/contracts.md)."""

import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx

from tandem_kit.testing import TestKeys
from tandem_scheduling.agreement.domain import CLAUSES

WRITE = ("scheduling:read", "scheduling:write")


async def gql(
    client: httpx.AsyncClient, headers: dict[str, str], query: str, **variables: Any
) -> dict[str, Any]:
    resp = await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


def participant(keys: TestKeys, engagement: Any) -> dict[str, str]:
    return keys.headers(*WRITE, person_id=str(engagement.participant_id), roles=["participant"])


def provider(keys: TestKeys, engagement: Any) -> dict[str, str]:
    return keys.headers(*WRITE, person_id=str(engagement.provider_person_id), roles=["coach"])


async def test_book_and_cancel_sessions_a_refused_booking_leaves_the_rest(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, monday: datetime
) -> None:
    engagement = await make_engagement()
    book = """
    mutation ($e: UUID!, $a: DateTime!, $b: DateTime!) {
      first: bookSession(engagementId: $e, startsAt: $a, kind: "kickoff") { id kind status }
      second: bookSession(engagementId: $e, startsAt: $b, kind: "kickoff") { id }
    }
    """
    body = await gql(
        client,
        participant(keys, engagement),
        book,
        e=str(engagement.id),
        a=monday.isoformat(),
        b=(monday + timedelta(days=1)).isoformat(),
    )
    assert body["data"]["first"]["kind"] == "kickoff"
    assert body["data"]["second"] is None
    assert body["errors"][0]["path"] == ["second"]
    assert body["errors"][0]["extensions"]["type"].endswith("/kickoff-already-booked")
    listed = await client.get(
        f"/api/v1/scheduling/engagements/{engagement.id}/sessions", headers=participant(keys, engagement)
    )
    assert [s["id"] for s in listed.json()["items"]] == [body["data"]["first"]["id"]]

    cancel = """
    mutation ($e: UUID!, $s: UUID!) { cancelSession(engagementId: $e, sessionId: $s, reason: "ill") { status } }
    """
    cancelled = await gql(
        client, provider(keys, engagement), cancel, e=str(engagement.id), s=body["data"]["first"]["id"]
    )
    assert cancelled["data"]["cancelSession"] == {"status": "cancelled"}


async def test_draft_and_sign_the_working_agreement(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any
) -> None:
    engagement = await make_engagement(signed=False)
    draft = """
    mutation ($e: UUID!, $c: WorkingAgreementInput!) {
      draftWorkingAgreement(engagementId: $e, input: $c) { version signed clauses { scope } }
    }
    """
    clauses = {_camel(k): f"{k} agreed" for k in CLAUSES}
    drafted = await gql(client, provider(keys, engagement), draft, e=str(engagement.id), c=clauses)
    assert drafted["data"]["draftWorkingAgreement"] == {
        "version": 1,
        "signed": False,
        "clauses": {"scope": "scope agreed"},
    }
    sign = "mutation ($e: UUID!) { signWorkingAgreement(engagementId: $e, version: 1) { signed } }"
    assert (await gql(client, provider(keys, engagement), sign, e=str(engagement.id)))["data"] == {
        "signWorkingAgreement": {"signed": False}
    }
    assert (await gql(client, participant(keys, engagement), sign, e=str(engagement.id)))["data"] == {
        "signWorkingAgreement": {"signed": True}
    }
    manager = keys.headers(*WRITE, person_id=str(uuid.uuid4()), roles=["program_manager"])
    refused = await gql(client, manager, sign, e=str(engagement.id))
    assert refused["errors"][0]["extensions"]["type"].endswith("/only-parties-sign")

    blank = await gql(
        client, provider(keys, engagement), draft, e=str(engagement.id), c={**clauses, "scope": ""}
    )
    assert [e["pointer"] for e in blank["errors"][0]["extensions"]["errors"]] == ["#/input/scope"]


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
