import uuid
from typing import Any

import httpx

from tandem_kit.testing import TestKeys

API = "/api/v1/matching"


async def _pending(world: Any, **intake: Any) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    program = await world.program()
    await world.coach(program)
    await world.coach(program, skills={"data_platforms": 2})
    person = await world.intake(program, **intake)
    return program, person, await world.proposal(person)


async def test_anonymous(client: httpx.AsyncClient) -> None:
    resp = await client.post(f"{API}/proposals/{uuid.uuid4()}/approve", json={})
    assert resp.status_code == 401


async def test_missing_scope(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.post(
        f"{API}/proposals/{uuid.uuid4()}/approve", json={}, headers=keys.headers("matching:read")
    )
    assert resp.status_code == 403
    assert resp.json()["missing_scopes"] == ["matching:decide"]


async def test_unknown_proposal_not_found(world: Any) -> None:
    resp = await world.client.post(f"{API}/proposals/{uuid.uuid4()}/approve", json={}, headers=world.headers)
    assert resp.status_code == 404
    assert resp.json()["type"].endswith("proposal-not-found")


async def test_participant_cannot_approve(world: Any) -> None:
    _, person, proposal = await _pending(world)
    resp = await world.client.post(
        f"{API}/proposals/{proposal['id']}/approve",
        json={},
        headers=world.person(person["person_id"], "matching:read", "matching:write", "matching:decide"),
    )
    assert resp.status_code == 403
    assert resp.json()["type"].endswith("program-manager-required")


async def test_integration_client_cannot_decide(world: Any) -> None:
    """An HRIS or LMS client writes data (matching:write) but takes no program decision."""
    program, _, proposal = await _pending(world)
    integration = world.keys.headers("matching:read", "matching:write", sub="tc_hris")
    decisions = [
        ("post", f"{API}/proposals/{proposal['id']}/approve", {}),
        ("post", f"{API}/proposals/{proposal['id']}/reject", {"reason": "no"}),
        ("put", f"{API}/programs/{program['id']}/weights", {"technical_skills": 100}),
        ("post", f"{API}/programs", {"name": "x"}),
    ]
    refused = [
        (await world.client.request(method, url, json=body, headers=integration)).json()["missing_scopes"]
        for method, url, body in decisions
    ]
    assert refused == [["matching:decide"]] * len(decisions)
    intake = await world.client.post(
        f"{API}/programs/{program['id']}/intakes",
        json={
            "person_id": str(uuid.uuid4()),
            "triggers": ["performance_gap"],
            "timezone": "UTC",
            "working_hours": [{"weekday": 1, "start": "10:00", "end": "18:00"}],
            "languages": ["en"],
        },
        headers=integration,
    )
    assert intake.status_code == 201
    still = await world.client.get(f"{API}/proposals/{proposal['id']}", headers=integration)
    assert still.json()["status"] == "pending"


async def test_approve_creates_match_and_event(world: Any) -> None:
    program, person, proposal = await _pending(world)
    top = proposal["candidates"][0]
    resp = await world.client.post(
        f"{API}/proposals/{proposal['id']}/approve", json={"reason": "good fit"}, headers=world.headers
    )
    assert resp.status_code == 200, resp.text
    match = resp.json()
    assert match["provider_id"] == top["provider_id"]
    assert match["score"] == top["score"]
    assert match["status"] == "active"
    assert match["approved_by"] == "client:test-client"
    after = (await world.client.get(f"{API}/proposals/{proposal['id']}", headers=world.headers)).json()
    assert after["status"] == "approved"
    assert after["match_id"] == match["id"]
    provider = (await world.client.get(f"{API}/providers/{top['provider_id']}", headers=world.headers)).json()
    assert provider["active_load"] == 1
    [event] = [e["data"] for e in await world.outbox("MatchApproved") if e["data"]["match_id"] == match["id"]]
    assert event["proposal_id"] == proposal["id"]
    assert event["participant_id"] == person["person_id"]
    assert event["provider_id"] == top["provider_id"]
    assert event["provider_person_id"] == provider["person_id"]
    assert event["provider_kind"] == "coach"
    assert event["track"] == "coach"
    assert event["participant_timezone"] == "Europe/Berlin"
    assert event["provider_timezone"] == "Europe/London"
    assert event["participant_working_hours"][0] == {"weekday": 0, "start": "09:00", "end": "17:00"}
    assert len(event["provider_working_hours"]) == 5
    decisions = (
        await world.client.get(f"{API}/programs/{program['id']}/decisions", headers=world.headers)
    ).json()["items"]
    assert [(d["action"], d["provider_id"], d["score"], d["reason"]) for d in decisions] == [
        ("approved", top["provider_id"], top["score"], "good fit")
    ]


async def test_approve_twice_is_conflict(world: Any) -> None:
    _, _, proposal = await _pending(world)
    url = f"{API}/proposals/{proposal['id']}/approve"
    assert (await world.client.post(url, json={}, headers=world.headers)).status_code == 200
    again = await world.client.post(url, json={}, headers=world.headers)
    assert again.status_code == 409
    assert again.json()["proposal_status"] == "approved"


async def test_approve_non_candidate_names_field(world: Any) -> None:
    _, _, proposal = await _pending(world)
    resp = await world.client.post(
        f"{API}/proposals/{proposal['id']}/approve",
        json={"provider_id": str(uuid.uuid4())},
        headers=world.headers,
    )
    assert resp.status_code == 422
    assert resp.json()["pointer"] == "#/provider_id"


async def test_reject_emits_event(world: Any) -> None:
    _, person, proposal = await _pending(world)
    resp = await world.client.post(
        f"{API}/proposals/{proposal['id']}/reject", json={"reason": "needs a sponsor"}, headers=world.headers
    )
    assert resp.status_code == 200
    assert resp.json()["status"] == "rejected"
    assert resp.json()["decision_reason"] == "needs a sponsor"
    [event] = [
        e["data"] for e in await world.outbox("MatchRejected") if e["data"]["proposal_id"] == proposal["id"]
    ]
    assert event == {
        "proposal_id": proposal["id"],
        "program_id": proposal["program_id"],
        "participant_id": person["person_id"],
        "provider_id": proposal["candidates"][0]["provider_id"],
        "reason": "needs a sponsor",
        "rejected_by": "client:test-client",
    }


async def test_override_requires_reason(world: Any) -> None:
    _, _, proposal = await _pending(world)
    resp = await world.client.post(
        f"{API}/proposals/{proposal['id']}/override",
        json={"provider_id": proposal["candidates"][1]["provider_id"]},
        headers=world.headers,
    )
    assert resp.status_code == 422
    body = resp.json()
    assert body["errors"][0]["pointer"] == "#/reason"
    assert "#/reason" in body["detail"]


async def test_override_with_reason_audited(world: Any) -> None:
    program, _, proposal = await _pending(world)
    chosen = await world.coach(program, skills={"finance": 1})
    resp = await world.client.post(
        f"{API}/proposals/{proposal['id']}/override",
        json={"provider_id": chosen["id"], "reason": "sponsored cross-team funding before"},
        headers=world.headers,
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["provider_id"] == chosen["id"]
    after = (await world.client.get(f"{API}/proposals/{proposal['id']}", headers=world.headers)).json()
    assert after["status"] == "overridden"
    decisions = (
        await world.client.get(f"{API}/programs/{program['id']}/decisions", headers=world.headers)
    ).json()["items"]
    [decision] = decisions
    assert decision["action"] == "overridden"
    assert decision["reason"] == "sponsored cross-team funding before"
    assert decision["provider_id"] == chosen["id"]
    assert decision["details"]["proposed_provider_id"] == proposal["candidates"][0]["provider_id"]
    assert 0 <= decision["score"] <= 100


async def test_override_refuses_conflicted_provider(world: Any) -> None:
    program = await world.program()
    await world.coach(program)
    boss = uuid.uuid4()
    manager_coach = await world.coach(program, person_id=str(boss))
    person = await world.intake(program, manager_chain=[str(boss)])
    proposal = await world.proposal(person)
    resp = await world.client.post(
        f"{API}/proposals/{proposal['id']}/override",
        json={"provider_id": manager_coach["id"], "reason": "they know the team"},
        headers=world.headers,
    )
    assert resp.status_code == 409
    assert resp.json()["reasons"] == ["provider_is_manager_or_skip_level"]


async def test_high_political_risk_never_auto_approved(world: Any) -> None:
    program = await world.program()
    await world.coach(program)
    person = await world.intake(program, political_risk_flags=["platform_lead"])
    resp = await world.client.post(
        f"{API}/proposals", json={"intake_id": person["id"], "auto_approve": True}, headers=world.headers
    )
    assert resp.status_code == 409
    body = resp.json()
    assert body["type"].endswith("manual-approval-required")
    assert body["flags"] == ["platform_lead"]
    approved = await world.outbox("MatchApproved")
    assert [e for e in approved if e["data"]["participant_id"] == person["person_id"]] == []
    manual = await world.proposal(person)
    assert manual["status"] == "pending"


async def test_low_risk_auto_approved(world: Any) -> None:
    program = await world.program()
    coach = await world.coach(program)
    person = await world.intake(program)
    proposal = await world.proposal(person, auto_approve=True)
    assert proposal["status"] == "approved"
    assert proposal["candidates"][0]["provider_id"] == coach["id"]
    decisions = (
        await world.client.get(f"{API}/programs/{program['id']}/decisions", headers=world.headers)
    ).json()["items"]
    assert [d["action"] for d in decisions] == ["auto_approved"]


async def test_approval_rechecks_consent(world: Any) -> None:
    from tandem_kit.testing import eventually

    program = await world.program()
    await world.coach(program)
    person = await world.intake(program)
    person_id = uuid.UUID(person["person_id"])
    await world.settled(person_id)
    proposal = await world.proposal(person)
    gate = world.app.state.consent_gate
    assert gate.cached(person_id)
    await world.withdraw(person_id)
    # The ConsentWithdrawn event drops the cached grant long before its 60 s expiry.
    await eventually(lambda: not gate.cached(person_id))
    resp = await world.client.post(
        f"{API}/proposals/{proposal['id']}/approve", json={}, headers=world.headers
    )
    assert resp.status_code == 409
    assert resp.json()["type"].endswith("consent-required")
    assert (await world.client.get(f"{API}/proposals/{proposal['id']}", headers=world.headers)).json()[
        "status"
    ] == "pending"


async def test_decisions_need_manager(world: Any) -> None:
    program = await world.program()
    resp = await world.client.get(
        f"{API}/programs/{program['id']}/decisions", headers=world.person(uuid.uuid4())
    )
    assert resp.status_code == 403
