"""GraphQL of the attendance ledger: the same service calls, scopes and checks as REST; refusals are
GraphQL errors carrying the problem (docs/contracts.md)."""

import uuid
from datetime import timedelta
from typing import Any

import httpx

from tandem_kit.testing import TestKeys

WRITE = ("scheduling:read", "scheduling:write")

RECORD = """
mutation ($s: UUID!, $o: String!) {
  recordAttendance(sessionId: $s, outcome: $o) {
    sessionId mark { revision outcome recordedByRole } conflict { vendorOutcome } history { revision outcome }
  }
}
"""
CORRECT = """
mutation ($s: UUID!, $o: String!, $r: String!) {
  correctAttendance(sessionId: $s, outcome: $o, reason: $r) { mark { revision outcome reason } }
}
"""


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


async def test_record_attendance_twice_is_one_revision(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, make_session: Any, outbox: Any
) -> None:
    engagement = await make_engagement()
    row = await make_session(engagement)
    first = await gql(client, participant(keys, engagement), RECORD, s=str(row.id), o="attended")
    again = await gql(client, provider(keys, engagement), RECORD, s=str(row.id), o="attended")
    expected = {
        "sessionId": str(row.id),
        "mark": {"revision": 1, "outcome": "attended", "recordedByRole": "participant"},
        "conflict": None,
        "history": [{"revision": 1, "outcome": "attended"}],
    }
    assert first["data"]["recordAttendance"] == expected
    assert again["data"]["recordAttendance"] == expected
    assert await outbox("SessionAttended", session_id=str(row.id)) == 1


async def test_correct_attendance_adds_a_revision_with_the_reason(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, make_session: Any
) -> None:
    engagement = await make_engagement()
    row = await make_session(engagement)
    await gql(client, provider(keys, engagement), RECORD, s=str(row.id), o="no_show_participant")
    body = await gql(
        client, participant(keys, engagement), CORRECT, s=str(row.id), o="attended", r="I joined by phone."
    )
    assert body["data"]["correctAttendance"]["mark"] == {
        "revision": 2,
        "outcome": "attended",
        "reason": "I joined by phone.",
    }


async def test_refusals_carry_the_problem(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, make_session: Any
) -> None:
    engagement = await make_engagement()
    row = await make_session(engagement)
    later = await make_session(engagement, ago=-timedelta(hours=3))
    headers = participant(keys, engagement)

    bad = await gql(client, headers, RECORD, s=str(row.id), o="sort_of")
    assert bad["errors"][0]["extensions"]["status"] == 422
    assert [e["pointer"] for e in bad["errors"][0]["extensions"]["errors"]] == ["#/input/outcome"]

    early = await gql(client, headers, RECORD, s=str(later.id), o="attended")
    assert (early["errors"][0]["extensions"]["status"], early["errors"][0]["extensions"]["rule"]) == (
        409,
        "session-not-started",
    )

    empty = await gql(client, headers, CORRECT, s=str(row.id), o="attended", r="")
    assert [e["pointer"] for e in empty["errors"][0]["extensions"]["errors"]] == ["#/input/reason"]

    stranger = keys.headers(*WRITE, person_id=str(uuid.uuid4()), roles=["coach"])
    hidden = await gql(client, stranger, RECORD, s=str(row.id), o="attended")
    assert hidden["errors"][0]["extensions"]["status"] == 404

    read_only = await gql(client, keys.headers("scheduling:read"), RECORD, s=str(row.id), o="attended")
    assert read_only["errors"][0]["extensions"]["status"] == 403
    assert read_only["data"] == {"recordAttendance": None}


async def test_engagement_pages_its_sessions_and_shows_attendance(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, make_session: Any
) -> None:
    engagement = await make_engagement()
    rows = [await make_session(engagement, ago=timedelta(days=d)) for d in (21, 14, 7)]
    for row, outcome in zip(rows, ["attended", "no_show_participant", "no_show_provider"], strict=True):
        await gql(client, provider(keys, engagement), RECORD, s=str(row.id), o=outcome)
    query = """
    query ($e: ID!) {
      engagement(id: $e) {
        sessionPage(limit: 2, offset: 1) { items { id } total limit offset }
        attendance { attended due rate floor minOutcomes flagged }
      }
    }
    """
    body = await gql(client, participant(keys, engagement), query, e=str(engagement.id))
    assert body["data"]["engagement"] == {
        "sessionPage": {
            "items": [{"id": str(rows[1].id)}, {"id": str(rows[2].id)}],
            "total": 3,
            "limit": 2,
            "offset": 1,
        },
        "attendance": {
            "attended": 1,
            "due": 3,
            "rate": 1 / 3,
            "floor": 0.8,
            "minOutcomes": 3,
            "flagged": True,
        },
    }


async def test_attendance_conflicts_refused_to_a_participant(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any
) -> None:
    engagement = await make_engagement()
    query = "query ($p: UUID!) { attendanceConflicts(programId: $p) { total items { sessionId } } }"
    refused = await gql(client, participant(keys, engagement), query, p=str(engagement.program_id))
    assert refused["errors"][0]["extensions"]["type"].endswith("/program-managers-only")
    manager = keys.headers(*WRITE, person_id=str(uuid.uuid4()), roles=["program_manager"])
    listed = await gql(client, manager, query, p=str(engagement.program_id))
    assert listed["data"] == {"attendanceConflicts": {"total": 0, "items": []}}


async def test_an_unknown_session_is_an_error_at_its_path_and_the_rest_answers(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any
) -> None:
    # Non-null root fields used to null the whole answer and abandon their siblings mid-query.
    engagement = await make_engagement()
    query = """
    query ($s: UUID!, $p: UUID!) {
      attendance(sessionId: $s) { sessionId }
      attendanceConflicts(programId: $p) { total }
      engagements { total }
    }
    """
    body = await gql(client, keys.headers(*WRITE), query, s=str(uuid.uuid4()), p=str(engagement.program_id))
    assert body["data"]["attendance"] is None
    assert body["data"]["attendanceConflicts"] == {"total": 0}
    assert body["data"]["engagements"]["total"] >= 1
    assert [(e["path"], e["extensions"]["status"]) for e in body["errors"]] == [(["attendance"], 404)]
