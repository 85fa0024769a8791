"""The sponsor action log: mentors log per mentee, correct and retract; the week-15 gate and the
scorer's sponsorship signal read it."""

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from tandem_kit.testing import TestKeys

API = "/api/v1/matching"
TODAY = datetime.now(UTC).date()


async def mentoring(world: Any, **mentor: Any) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """An approved mentor match: (program, mentor, match)."""
    program = await world.program()
    provider = await world.mentor(program, **mentor)
    person = await world.intake(program, triggers=["career_transition"])
    proposal = await world.proposal(person)
    resp = await world.client.post(
        f"{API}/proposals/{proposal['id']}/approve", json={}, headers=world.headers
    )
    assert resp.status_code == 200, resp.text
    return program, provider, resp.json()


def mentor_headers(world: Any, match: dict[str, Any]) -> dict[str, str]:
    return world.person(match["provider_person_id"], "matching:read", "matching:write", roles=("mentor",))


async def log(
    world: Any,
    match: dict[str, Any],
    headers: dict[str, str] | None = None,
    *,
    status: int = 201,
    **body: Any,
) -> dict[str, Any]:
    payload = {"kind": "introduction", "action_date": TODAY.isoformat(), **body}
    resp = await world.client.post(
        f"{API}/matches/{match['id']}/sponsor-actions",
        json=payload,
        headers=headers or mentor_headers(world, match),
    )
    assert resp.status_code == status, resp.text
    result: dict[str, Any] = resp.json()
    return result


async def test_anonymous(client: httpx.AsyncClient) -> None:
    assert (await client.get(f"{API}/matches/{uuid.uuid4()}/sponsor-actions")).status_code == 401


async def test_missing_scope(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.post(
        f"{API}/matches/{uuid.uuid4()}/sponsor-actions",
        json={"kind": "advocacy", "action_date": "2026-01-05"},
        headers=keys.headers("matching:read"),
    )
    assert resp.status_code == 403
    assert resp.json()["missing_scopes"] == ["matching:write"]


async def test_mentor_logs_and_the_event_goes_out(world: Any) -> None:
    program, provider, match = await mentoring(world)

    action = await log(world, match, kind="advocacy", outcome="succeeded", description="Put her name forward")

    assert (action["kind"], action["outcome"], action["description"]) == (
        "advocacy",
        "succeeded",
        "Put her name forward",
    )
    assert action["logged_by"] == f"person:{provider['person_id']}"
    [event] = [e for e in await world.outbox("SponsorActionLogged") if e["data"]["action_id"] == action["id"]]
    assert event["data"] == {
        "action_id": action["id"],
        "match_id": match["id"],
        "program_id": program["id"],
        "participant_id": match["participant_id"],
        "mentor_person_id": provider["person_id"],
        "kind": "advocacy",
        "action_date": TODAY.isoformat(),
        "outcome": "succeeded",
        "logged_at": event["data"]["logged_at"],
    }
    assert "description" not in str(event)


async def test_participant_reads_but_cannot_log_others_get_404(world: Any) -> None:
    _, _, match = await mentoring(world)
    await log(world, match)
    url = f"{API}/matches/{match['id']}/sponsor-actions"
    mentee = world.person(match["participant_id"], "matching:read", "matching:write")

    refused = await world.client.post(
        url, json={"kind": "advocacy", "action_date": TODAY.isoformat()}, headers=mentee
    )
    assert refused.status_code == 403
    assert refused.json()["type"].endswith("/mentor-required")
    assert (await world.client.get(url, headers=mentee)).json()["total"] == 1
    stranger = world.person(uuid.uuid4(), "matching:read", "matching:write", roles=("mentor",))
    assert (await world.client.get(url, headers=stranger)).status_code == 404
    missing = await world.client.post(
        url, json={"kind": "advocacy", "action_date": TODAY.isoformat()}, headers=stranger
    )
    assert missing.status_code == 404


async def test_a_coach_match_has_no_sponsor_actions(world: Any) -> None:
    program = await world.program()
    await world.coach(program)
    person = await world.intake(program)
    proposal = await world.proposal(person)
    match = (
        await world.client.post(f"{API}/proposals/{proposal['id']}/approve", json={}, headers=world.headers)
    ).json()

    refused = await log(world, match, world.headers, status=404)

    assert refused["type"].endswith("/match-not-found")


async def test_dates_are_checked(world: Any) -> None:
    _, _, match = await mentoring(world)

    future = await log(world, match, status=422, action_date=(TODAY + timedelta(days=1)).isoformat())
    before = await log(world, match, status=422, action_date=(TODAY - timedelta(days=1)).isoformat())
    bad_kind = await log(world, match, status=422, kind="lunch")

    assert (future["pointer"], before["pointer"]) == ("#/action_date", "#/action_date")
    assert "future" in future["detail"]
    assert "before" in before["detail"]
    assert bad_kind["errors"][0]["pointer"] == "#/kind"


async def test_correct_then_retract(world: Any) -> None:
    _, _, match = await mentoring(world)
    action = await log(world, match)
    url = f"{API}/matches/{match['id']}/sponsor-actions/{action['id']}"
    headers = mentor_headers(world, match)

    corrected = await world.client.patch(url, json={"outcome": "succeeded"}, headers=headers)
    unchanged = await world.client.patch(url, json={"outcome": "succeeded"}, headers=headers)

    assert corrected.json()["outcome"] == "succeeded"
    assert corrected.json()["corrected_at"] is not None
    events = [e for e in await world.outbox("SponsorActionLogged") if e["data"]["action_id"] == action["id"]]
    assert [e["data"]["outcome"] for e in events] == ["pending", "succeeded"]
    assert events[1]["data"]["logged_at"] > events[0]["data"]["logged_at"]
    assert unchanged.json()["corrected_at"] == corrected.json()["corrected_at"]

    retracted = await world.client.post(f"{url}/retract", headers=headers)
    twice = await world.client.post(f"{url}/retract", headers=headers)

    assert retracted.json()["retracted_at"] is not None
    assert twice.json()["retracted_at"] == retracted.json()["retracted_at"]
    assert (
        len(
            [
                e
                for e in await world.outbox("SponsorActionRetracted")
                if e["data"]["action_id"] == action["id"]
            ]
        )
        == 1
    )
    late = await world.client.patch(url, json={"outcome": "no_result"}, headers=headers)
    assert late.status_code == 409
    assert late.json()["type"].endswith("/sponsor-action-retracted")
    summary = (await world.client.get(f"{API}/matches/{match['id']}/sponsor-summary", headers=headers)).json()
    assert (summary["actions_logged"], summary["sponsor_actions_by_week_15"]) == (0, False)


async def test_week_15_gate(world: Any) -> None:
    _, _, match = await mentoring(world)
    url = f"{API}/matches/{match['id']}/sponsor-summary"
    assert (await world.client.get(url, headers=world.headers)).json()["sponsor_actions_by_week_15"] is False

    await log(world, match)

    summary = (await world.client.get(url, headers=world.person(match["participant_id"]))).json()
    assert summary["sponsor_actions_by_week_15"] is True
    assert summary["actions_logged"] == 1
    approved_on = date.fromisoformat(summary["approved_on"])
    assert date.fromisoformat(summary["week_15_ends_on"]) == approved_on + timedelta(weeks=15)


async def test_the_sponsorship_signal_reads_the_log(world: Any) -> None:
    """A mentor with a log is scored on logged actions; typed-in numbers stand in only without a log."""
    program = await world.program()
    logged = await world.mentor(program, sponsorship_actions=0, promotions_sponsored=0, capacity=3)
    typed = await world.mentor(program, sponsorship_actions=1, promotions_sponsored=0, capacity=3)
    first = await world.intake(program, triggers=["career_transition"])
    proposal = await world.proposal(first)
    match = (
        await world.client.post(
            f"{API}/proposals/{proposal['id']}/approve",
            json={"provider_id": logged["id"]},
            headers=world.headers,
        )
    ).json()
    assert match["provider_id"] == logged["id"], match

    def sponsorship(ranked: dict[str, Any], provider: dict[str, Any]) -> float:
        [candidate] = [c for c in ranked["candidates"] if c["provider_id"] == provider["id"]]
        [signal] = [s for s in candidate["signals"] if s["signal"] == "sponsorship_history"]
        return float(signal["value"])

    second = await world.intake(program, triggers=["career_transition"])
    before = await world.proposal(second)
    assert sponsorship(before, logged) == 0.0
    for kind in ("introduction", "advocacy", "stretch_assignment"):
        await log(world, match, kind=kind)

    after = await world.proposal(second)

    assert sponsorship(after, logged) > sponsorship(after, typed) > 0.0
