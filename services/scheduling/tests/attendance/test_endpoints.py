import uuid
from datetime import timedelta
from typing import Any

import httpx

from tandem_kit.testing import TestKeys

API = "/api/v1/scheduling"
WRITE = ("scheduling:read", "scheduling:write")


def url(row: Any) -> str:
    return f"{API}/sessions/{row.id}/attendance"


def as_participant(keys: TestKeys, engagement: Any) -> dict[str, str]:
    return keys.headers(*WRITE, person_id=str(engagement.participant_id), roles=["participant"])


def as_provider(keys: TestKeys, engagement: Any) -> dict[str, str]:
    return keys.headers(*WRITE, person_id=str(engagement.provider_person_id), roles=["coach"])


def as_manager(keys: TestKeys) -> dict[str, str]:
    return keys.headers(*WRITE, person_id=str(uuid.uuid4()), roles=["program_manager"])


async def test_anonymous(client: httpx.AsyncClient, make_engagement: Any, make_session: Any) -> None:
    row = await make_session(await make_engagement())
    assert (await client.put(url(row), json={"outcome": "attended"})).status_code == 401
    assert (await client.get(url(row))).status_code == 401


async def test_missing_write_scope(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, make_session: Any
) -> None:
    row = await make_session(await make_engagement())
    resp = await client.put(url(row), json={"outcome": "attended"}, headers=keys.headers("scheduling:read"))
    assert resp.status_code == 403
    assert resp.json()["missing_scopes"] == ["scheduling:write"]


async def test_someone_elses_session_is_not_found(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, make_session: Any
) -> None:
    row = await make_session(await make_engagement())
    stranger = keys.headers(*WRITE, person_id=str(uuid.uuid4()), roles=["coach"])
    resp = await client.put(url(row), json={"outcome": "attended"}, headers=stranger)
    assert resp.status_code == 404
    assert resp.json()["type"].endswith("/session-not-found")
    assert (await client.get(f"{url(row)}/history", headers=stranger)).status_code == 404


async def test_participant_marks_attended_and_the_event_carries_revision_and_role(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, make_session: Any, outbox: Any
) -> None:
    engagement = await make_engagement()
    row = await make_session(engagement, kind="kickoff")
    resp = await client.put(url(row), json={"outcome": "attended"}, headers=as_participant(keys, engagement))
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["mark"]["outcome"] == "attended"
    assert (body["mark"]["revision"], body["mark"]["recorded_by_role"]) == (1, "participant")
    assert body["mark"]["recorded_by"] == str(engagement.participant_id)
    assert body["conflict"] is None
    attended = await outbox(
        "SessionAttended", session_id=str(row.id), kind="kickoff", recorded_by_role="participant"
    )
    assert attended == 1
    got = await client.get(url(row), headers=as_provider(keys, engagement))
    assert got.json() == body


async def test_the_same_mark_twice_changes_nothing(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, make_session: Any, outbox: Any
) -> None:
    engagement = await make_engagement()
    row = await make_session(engagement)
    first = await client.put(
        url(row), json={"outcome": "no_show_provider"}, headers=as_provider(keys, engagement)
    )
    again = await client.put(
        url(row), json={"outcome": "no_show_provider"}, headers=as_participant(keys, engagement)
    )
    assert again.status_code == 200
    assert again.json() == first.json()
    history = (await client.get(f"{url(row)}/history", headers=as_provider(keys, engagement))).json()
    assert [(m["revision"], m["recorded_by_role"]) for m in history] == [(1, "provider")]
    assert await outbox("SessionMissed", session_id=str(row.id)) == 1


async def test_a_mark_before_the_session_starts_is_409_with_the_rule(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, make_session: Any
) -> None:
    engagement = await make_engagement()
    row = await make_session(engagement, ago=-timedelta(minutes=10))
    resp = await client.put(url(row), json={"outcome": "attended"}, headers=as_participant(keys, engagement))
    assert resp.status_code == 409
    problem = resp.json()
    assert problem["type"].endswith("/session-not-started")
    assert problem["rule"] == "session-not-started"
    assert resp.headers["content-type"] == "application/problem+json"


async def test_a_cancelled_session_cannot_be_marked_attended(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, make_session: Any
) -> None:
    engagement = await make_engagement()
    row = await make_session(engagement, status="cancelled")
    refused = await client.put(url(row), json={"outcome": "attended"}, headers=as_manager(keys))
    assert refused.status_code == 409
    assert refused.json()["rule"] == "cancelled-session-outcome"
    assert refused.json()["pointer"] == "#/outcome"
    late = await client.put(url(row), json={"outcome": "cancelled_late"}, headers=as_manager(keys))
    assert late.status_code == 200
    assert (late.json()["mark"]["outcome"], late.json()["mark"]["recorded_by_role"]) == (
        "cancelled_late",
        "program_manager",
    )


async def test_unknown_outcome_is_422_naming_the_field(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, make_session: Any
) -> None:
    engagement = await make_engagement()
    row = await make_session(engagement)
    resp = await client.put(url(row), json={"outcome": "late"}, headers=as_participant(keys, engagement))
    assert resp.status_code == 422
    assert [e["pointer"] for e in resp.json()["errors"]] == ["#/outcome"]


async def test_a_correction_needs_a_reason_and_adds_a_revision(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, make_session: Any, outbox: Any
) -> None:
    engagement = await make_engagement()
    row = await make_session(engagement)
    participant = as_participant(keys, engagement)
    await client.put(url(row), json={"outcome": "no_show_participant"}, headers=as_provider(keys, engagement))
    bare = await client.put(url(row), json={"outcome": "attended"}, headers=participant)
    assert bare.status_code == 422
    assert bare.json()["type"].endswith("/correction-needs-reason")
    assert bare.json()["pointer"] == "#/reason"
    fixed = await client.put(
        url(row),
        json={"outcome": "attended", "reason": "I was there; the coach's call dropped."},
        headers=participant,
    )
    assert fixed.status_code == 200, fixed.text
    assert (fixed.json()["mark"]["revision"], fixed.json()["mark"]["outcome"]) == (2, "attended")
    history = (await client.get(f"{url(row)}/history", headers=participant)).json()
    assert [(m["revision"], m["outcome"], m["recorded_by_role"], m["reason"]) for m in history] == [
        (1, "no_show_participant", "provider", None),
        (2, "attended", "participant", "I was there; the coach's call dropped."),
    ]
    assert await outbox("SessionMissed", session_id=str(row.id), revision="1") == 1
    assert await outbox("SessionAttended", session_id=str(row.id), revision="2") == 1


async def test_a_machine_client_marks_as_client(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, make_session: Any
) -> None:
    row = await make_session(await make_engagement())
    resp = await client.put(url(row), json={"outcome": "rescheduled"}, headers=keys.headers(*WRITE))
    assert resp.status_code == 200
    assert resp.json()["mark"]["recorded_by_role"] == "client"


async def test_engagement_attendance_is_flagged_under_the_floor_and_cleared(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, make_session: Any, outbox: Any
) -> None:
    engagement = await make_engagement()
    provider = as_provider(keys, engagement)
    rows = [await make_session(engagement, ago=timedelta(days=d)) for d in (28, 21, 14, 7)]
    for row, outcome in zip(
        rows, ["attended", "attended", "no_show_participant", "rescheduled"], strict=True
    ):
        assert (await client.put(url(row), json={"outcome": outcome}, headers=provider)).status_code == 200
    standing = (await client.get(f"{API}/engagements/{engagement.id}/attendance", headers=provider)).json()
    assert standing == {
        "engagement_id": str(engagement.id),
        "attended": 2,
        "due": 3,
        "rate": 2 / 3,
        "floor": 0.8,
        "min_outcomes": 3,
        "flagged": True,
    }
    assert await outbox("EngagementAttendanceFlagged", engagement_id=str(engagement.id)) == 1
    await client.put(url(rows[2]), json={"outcome": "attended", "reason": "Mis-click."}, headers=provider)
    standing = (await client.get(f"{API}/engagements/{engagement.id}/attendance", headers=provider)).json()
    assert (standing["attended"], standing["due"], standing["rate"], standing["flagged"]) == (
        3,
        3,
        1.0,
        False,
    )
    assert await outbox("EngagementAttendanceFlagged", engagement_id=str(engagement.id)) == 2


async def test_attendance_conflicts_are_for_program_managers(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any
) -> None:
    engagement = await make_engagement()
    resp = await client.get(
        f"{API}/programs/{engagement.program_id}/attendance-conflicts",
        headers=as_participant(keys, engagement),
    )
    assert resp.status_code == 403
    assert resp.json()["type"].endswith("/program-managers-only")
    listed = await client.get(
        f"{API}/programs/{engagement.program_id}/attendance-conflicts", headers=as_manager(keys)
    )
    assert listed.json() == {"items": [], "total": 0, "limit": 100, "offset": 0}
