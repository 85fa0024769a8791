"""Program controls: pause, resume, close (issue 15 item 7), through the real REST API."""

import uuid
from typing import Any

import httpx

from tandem_kit.testing import TestKeys

API = "/api/v1/matching"
REASON = {"reason": "participation dropped under 60% in week 4"}


async def _status(world: Any, program: dict[str, Any], action: str, *, status: int = 200) -> dict[str, Any]:
    resp = await world.client.post(
        f"{API}/programs/{program['id']}/{action}", json=REASON, headers=world.headers
    )
    assert resp.status_code == status, resp.text
    result: dict[str, Any] = resp.json()
    return result


async def test_anonymous(client: httpx.AsyncClient) -> None:
    resp = await client.post(f"{API}/programs/{uuid.uuid4()}/pause", json=REASON)
    assert resp.status_code == 401


async def test_missing_scope(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.post(
        f"{API}/programs/{uuid.uuid4()}/pause",
        json=REASON,
        headers=keys.headers("matching:read", "matching:write"),
    )
    assert (resp.status_code, resp.json()["missing_scopes"]) == (403, ["matching:decide"])


async def test_unknown_program_not_found(world: Any) -> None:
    resp = await world.client.post(f"{API}/programs/{uuid.uuid4()}/pause", json=REASON, headers=world.headers)
    assert (resp.status_code, resp.json()["type"].rsplit("/", 1)[-1]) == (404, "program-not-found")


async def test_a_participant_cannot_pause(world: Any) -> None:
    program = await world.program()
    person = uuid.uuid4()
    resp = await world.client.post(
        f"{API}/programs/{program['id']}/pause",
        json=REASON,
        headers=world.person(person, "matching:read", "matching:decide"),
    )
    assert (resp.status_code, resp.json()["type"].rsplit("/", 1)[-1]) == (403, "program-manager-required")


async def test_reason_required(world: Any) -> None:
    program = await world.program()
    resp = await world.client.post(f"{API}/programs/{program['id']}/pause", json={}, headers=world.headers)
    assert resp.status_code == 422
    assert [e["pointer"] for e in resp.json()["errors"]] == ["#/reason"]


async def test_pause_is_recorded_audited_and_emitted(world: Any) -> None:
    program = await world.program()
    assert program["status"] == "active"

    paused = await _status(world, program, "pause")

    assert (paused["status"], paused["status_reason"]) == ("paused", REASON["reason"])
    assert paused["status_changed_by"].startswith("client:")
    [event] = [
        e for e in await world.outbox("ProgramStatusChanged") if e["data"]["program_id"] == program["id"]
    ]
    assert (event["data"]["status"], event["data"]["changed_by"]) == ("paused", paused["status_changed_by"])
    decisions = await world.client.get(f"{API}/programs/{program['id']}/decisions", headers=world.headers)
    assert [(d["action"], d["reason"]) for d in decisions.json()["items"]] == [
        ("program_paused", REASON["reason"])
    ]


async def test_pausing_twice_changes_nothing(world: Any) -> None:
    program = await world.program()
    first = await _status(world, program, "pause")
    second = await _status(world, program, "pause")

    assert second["status_changed_at"] == first["status_changed_at"]
    events = [
        e for e in await world.outbox("ProgramStatusChanged") if e["data"]["program_id"] == program["id"]
    ]
    assert len(events) == 1


async def test_a_paused_program_refuses_intakes_proposals_and_approvals(world: Any) -> None:
    program = await world.program()
    await world.coach(program)
    person = await world.intake(program)
    proposal = await world.proposal(person)
    await _status(world, program, "pause")

    intake = await world.client.post(
        f"{API}/programs/{program['id']}/intakes",
        json={
            "person_id": str(uuid.uuid4()),
            "triggers": ["performance_gap"],
            "timezone": "Europe/Berlin",
            "working_hours": [{"weekday": 0, "start": "09:00", "end": "17:00"}],
            "languages": ["en"],
        },
        headers=world.headers,
    )
    again = await world.client.post(
        f"{API}/proposals", json={"intake_id": person["id"]}, headers=world.headers
    )
    approve = await world.client.post(
        f"{API}/proposals/{proposal['id']}/approve", json={}, headers=world.headers
    )

    for resp in (intake, again, approve):
        body = resp.json()
        assert (resp.status_code, body["rule"], body["program_id"]) == (409, "program-paused", program["id"])
        assert body["type"].endswith("/program-paused")


async def test_running_matches_go_on_while_paused(world: Any) -> None:
    program = await world.program()
    await world.coach(program)
    person = await world.intake(program)
    proposal = await world.proposal(person)
    match = await world.post(f"/proposals/{proposal['id']}/approve", {}, status=200)
    await _status(world, program, "pause")

    resp = await world.client.get(f"{API}/matches/{match['id']}", headers=world.headers)
    ended = await world.client.post(
        f"{API}/matches/{match['id']}/end", json={"reason": "completed"}, headers=world.headers
    )

    assert resp.json()["status"] == "active"
    assert (ended.status_code, ended.json()["status"]) == (200, "ended")


async def test_resume_opens_onboarding_again(world: Any) -> None:
    program = await world.program()
    await _status(world, program, "pause")

    resumed = await _status(world, program, "resume")
    person = await world.intake(program)

    assert resumed["status"] == "active"
    assert person["program_id"] == program["id"]


async def test_a_closed_program_refuses_everything_new_and_never_reopens(world: Any) -> None:
    program = await world.program()
    closed = await _status(world, program, "close")

    resume = await _status(world, program, "resume", status=409)
    pause = await _status(world, program, "pause", status=409)
    again = await _status(world, program, "close")
    intake = await world.client.post(
        f"{API}/programs/{program['id']}/intakes",
        json={
            "person_id": str(uuid.uuid4()),
            "triggers": ["performance_gap"],
            "timezone": "Europe/Berlin",
            "working_hours": [{"weekday": 0, "start": "09:00", "end": "17:00"}],
            "languages": ["en"],
        },
        headers=world.headers,
    )

    assert closed["status"] == again["status"] == "closed"
    assert [resume["rule"], pause["rule"], intake.json()["rule"]] == ["program-closed"] * 3
    assert intake.status_code == 409
