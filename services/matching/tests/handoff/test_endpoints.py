"""Dual track: the coaching sprint first, then the mentor, with a handoff that carries goals and
progress only under the participant's `handoff` consent (real consent app, real broker)."""

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tandem_kit.events import EventConsumer, EventEnvelope
from tandem_kit.testing import TestKeys, asgi_client, eventually, sessionmaker_of
from tandem_matching.handoff import consumers

API = "/api/v1/matching"
DUAL = ["high_stakes_behavioural_shift"]
PURPOSE = {
    "key": "handoff",
    "title": "Coaching-to-mentoring handoff",
    "description": "Letting your goals and the progress of your coaching sprint travel to your mentor.",
    "fields": ["behavioural_goals", "skills"],
}


@pytest.fixture(scope="session", autouse=True)
async def handoff_purpose(consent_app: FastAPI, keys: TestKeys) -> AsyncIterator[None]:
    """The `handoff` purpose, created through the consent service's admin API (committed, once)."""
    async with asgi_client(consent_app) as consent:
        resp = await consent.post(
            "/api/v1/consent/purposes", json=PURPOSE, headers=keys.headers("consent:write", "admin")
        )
    assert resp.status_code in (201, 409), resp.text
    return


async def consent_to_handoff(world: Any, person_id: str, *, withdraw: bool = False) -> None:
    action = "withdrawals" if withdraw else "grants"
    async with asgi_client(world.consent_app) as consent:
        resp = await consent.post(
            f"/api/v1/consent/people/{person_id}/consents/handoff/{action}",
            json={} if withdraw else {"notice_version": 1},
            headers=world.keys.headers("consent:read", "consent:write"),
        )
    assert resp.status_code in (200, 201), resp.text


async def apply_own(world: Any, event_type: str, match_id: str) -> bool:
    """Apply one of matching's own outbox events through the dual-track consumer, in the test's
    transaction (a rolled-back request's outbox is never relayed to the broker)."""
    [payload] = [p for p in await world.outbox(event_type) if p["data"]["match_id"] == match_id]
    [ended, approved] = consumers.subscriptions(world.app.state.consent_gate, world.app.state.handoff_gate)
    sub = ended if event_type == "MatchEnded" else approved
    consumer = EventConsumer(world.app.state.broker, sessionmaker_of(world.app), sub)
    return await consumer.apply(EventEnvelope.model_validate(payload))


async def approve(world: Any, proposal: dict[str, Any], *, status: int = 200) -> dict[str, Any]:
    resp = await world.client.post(
        f"{API}/proposals/{proposal['id']}/approve", json={}, headers=world.headers
    )
    assert resp.status_code == status, resp.text
    result: dict[str, Any] = resp.json()
    return result


async def end(world: Any, match: dict[str, Any], reason: str) -> None:
    resp = await world.client.post(
        f"{API}/matches/{match['id']}/end", json={"reason": reason}, headers=world.headers
    )
    assert resp.status_code == 200, resp.text


async def sprint(world: Any) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]]:
    """A dual-track participant with an approved coaching match, and a mentor in the pool."""
    program = await world.program()
    await world.coach(program)
    mentor = await world.mentor(program)
    person = await world.intake(
        program, triggers=DUAL, behavioural_goals=["executive_presence"], wanted_skills={"ml_governance": 4}
    )
    assert person["track"] == "coach_then_mentor"
    proposal = await world.proposal(person)
    assert proposal["provider_kind"] == "coach"
    return program, person, mentor, await approve(world, proposal)


async def handed_over(world: Any, coaching: dict[str, Any]) -> dict[str, Any]:
    await end(world, coaching, "completed")
    assert await apply_own(world, "MatchEnded", coaching["id"]) is True
    [prepared] = [
        e for e in await world.outbox("HandoffPrepared") if e["data"]["from_match_id"] == coaching["id"]
    ]
    resp = await world.client.get(f"{API}/handoffs/{prepared['data']['handoff_id']}", headers=world.headers)
    assert resp.status_code == 200, resp.text
    handoff: dict[str, Any] = resp.json()
    return handoff


async def test_anonymous(client: httpx.AsyncClient) -> None:
    assert (await client.get(f"{API}/handoffs/{uuid.uuid4()}")).status_code == 401


async def test_missing_scope(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.patch(
        f"{API}/handoffs/{uuid.uuid4()}/checklist", json={}, headers=keys.headers("matching:read")
    )
    assert resp.status_code == 403
    assert resp.json()["missing_scopes"] == ["matching:write"]


async def test_no_mentor_while_the_sprint_runs(world: Any) -> None:
    _, person, _, coaching = await sprint(world)
    # The next need of a participant whose sprint runs is no second proposal at all.
    again = await world.client.post(
        API + "/proposals", json={"intake_id": person["id"]}, headers=world.headers
    )
    assert again.status_code == 409
    assert again.json()["type"].endswith("/already-matched")
    mentor_proposal = await world.proposal(person, kind="mentor")

    refused = await approve(world, mentor_proposal, status=409)

    assert refused["type"].endswith("/coaching-sprint-active")
    assert refused["rule"] == "coaching_sprint_first"
    assert refused["coaching_match_id"] == coaching["id"]


async def test_completed_sprint_opens_the_mentor_with_consented_context(world: Any) -> None:
    program, person, mentor, coaching = await sprint(world)
    await consent_to_handoff(world, person["person_id"])

    handoff = await handed_over(world, coaching)

    assert handoff["shared_context"] is True
    assert handoff["note"] is None
    assert handoff["context"]["goals"] == {
        "behavioural_goals": ["executive_presence"],
        "wanted_skills": {"ml_governance": 4},
    }
    assert handoff["context"]["progress"]["sprint_weeks"] == 0
    assert [i["item"] for i in handoff["checklist"]] == [
        "coaching_closing_notes_submitted",
        "goals_reviewed",
        "progress_summary_shared",
        "mentor_intro_meeting_booked",
    ]
    assert not any(i["done"] for i in handoff["checklist"])
    proposal = (
        await world.client.get(f"{API}/proposals/{handoff['proposal_id']}", headers=world.headers)
    ).json()
    assert (proposal["provider_kind"], proposal["status"]) == ("mentor", "pending")
    assert proposal["candidates"][0]["provider_id"] == mentor["id"]
    [completed] = [
        e for e in await world.outbox("CoachingSprintCompleted") if e["data"]["match_id"] == coaching["id"]
    ]
    assert completed["data"]["handoff_id"] == handoff["id"]
    assert completed["data"]["participant_id"] == person["person_id"]
    # Nothing about why the participant was coached travels.
    assert set(handoff["context"]) == {"goals", "progress"}
    assert "triggers" not in str(handoff)
    # The same event again changes nothing.
    assert await apply_own(world, "MatchEnded", coaching["id"]) is False

    # Before the mentor match, the mentor does not see the handoff; the coach never does.
    url = f"{API}/handoffs/{handoff['id']}"
    mentor_headers = world.person(mentor["person_id"], "matching:read", "matching:write", roles=("mentor",))
    assert (await world.client.get(url, headers=mentor_headers)).status_code == 404
    coach_headers = world.person(coaching["provider_person_id"], roles=("coach",))
    assert (await world.client.get(url, headers=coach_headers)).status_code == 404
    mine = await world.client.get(url, headers=world.person(person["person_id"]))
    assert mine.json()["context"]["goals"]["behavioural_goals"] == ["executive_presence"]

    mentoring = await approve(world, proposal)
    assert await apply_own(world, "MatchApproved", mentoring["id"]) is True

    seen = await world.client.get(url, headers=mentor_headers)
    assert seen.status_code == 200
    assert seen.json()["to_match_id"] == mentoring["id"]
    linked = [e for e in await world.outbox("HandoffPrepared") if e["data"]["handoff_id"] == handoff["id"]]
    assert [e["data"]["to_match_id"] for e in linked] == [None, mentoring["id"]]
    ticked = await world.client.patch(
        f"{url}/checklist",
        json={"goals_reviewed": True, "mentor_intro_meeting_booked": True},
        headers=mentor_headers,
    )
    assert ticked.status_code == 200, ticked.text
    items = {i["item"]: i for i in ticked.json()["checklist"]}
    assert items["goals_reviewed"]["done"] is True
    assert items["goals_reviewed"]["done_by"] == f"person:{mentor['person_id']}"
    assert items["progress_summary_shared"]["done"] is False
    again = await world.client.patch(
        f"{url}/checklist", json={"goals_reviewed": True}, headers=mentor_headers
    )
    assert again.json()["checklist"][1]["done_at"] == items["goals_reviewed"]["done_at"]
    listed = await world.client.get(
        f"{API}/participants/{person['person_id']}/handoffs", headers=mentor_headers
    )
    assert (listed.json()["total"], listed.json()["items"][0]["id"]) == (1, handoff["id"])
    assert program["id"] == handoff["program_id"]


async def test_without_consent_only_the_checklist_travels(world: Any) -> None:
    _, _, _, coaching = await sprint(world)  # never granted `handoff`

    handoff = await handed_over(world, coaching)

    assert handoff["shared_context"] is False
    assert handoff["context"] is None
    assert "checklist only" in handoff["note"]
    assert len(handoff["checklist"]) == 4
    [prepared] = [
        e for e in await world.outbox("HandoffPrepared") if e["data"]["handoff_id"] == handoff["id"]
    ]
    assert prepared["data"]["shared_context"] is False
    assert prepared["data"]["to_match_id"] is None


async def test_a_withdrawal_hides_the_context_at_the_next_read(world: Any) -> None:
    _, person, _, coaching = await sprint(world)
    await consent_to_handoff(world, person["person_id"])
    handoff = await handed_over(world, coaching)
    assert handoff["shared_context"] is True

    await consent_to_handoff(world, person["person_id"], withdraw=True)

    read = (await world.client.get(f"{API}/handoffs/{handoff['id']}", headers=world.headers)).json()
    assert (read["shared_context"], read["context"]) == (False, None)


@pytest.mark.parametrize("reason", ["withdrawn", "terminated"])
async def test_a_sprint_ended_otherwise_opens_no_mentor(world: Any, reason: str) -> None:
    _, person, _, coaching = await sprint(world)

    await end(world, coaching, reason)

    assert await apply_own(world, "MatchEnded", coaching["id"]) is True
    assert [
        e for e in await world.outbox("HandoffPrepared") if e["data"]["from_match_id"] == coaching["id"]
    ] == []
    assert await world.outbox("CoachingSprintCompleted") == []
    # The sprint did not complete: the next proposal is a coach again.
    assert (await world.proposal(person))["provider_kind"] == "coach"


async def test_after_a_completed_sprint_the_next_need_is_a_mentor(world: Any) -> None:
    _, person, _, coaching = await sprint(world)
    await end(world, coaching, "completed")  # the consumer has not run: the rule reads the match history

    assert (await world.proposal(person))["provider_kind"] == "mentor"


async def test_through_the_broker(committed_world: Any) -> None:
    """The real relay and consumer: ending the coaching match over HTTP prepares the handoff."""
    world = committed_world
    _, person, _, coaching = await sprint(world)
    await consent_to_handoff(world, person["person_id"])

    await end(world, coaching, "completed")

    async def listed() -> list[dict[str, Any]]:
        resp = await world.client.get(
            f"{API}/participants/{person['person_id']}/handoffs", headers=world.headers
        )
        items: list[dict[str, Any]] = resp.json()["items"]
        return items

    [handoff] = await eventually(listed)
    assert (handoff["from_match_id"], handoff["shared_context"]) == (coaching["id"], True)
    assert handoff["proposal_id"] is not None


HANDOFFS = """
query ($person: ID!) {
  handoffs(participantId: $person, limit: 5) {
    total
    items { id sharedContext note context { goals { behaviouralGoals wantedSkills { skill level } } } }
  }
}
"""
TICK = """
mutation ($id: ID!) {
  updateHandoffChecklist(id: $id, coachingClosingNotesSubmitted: true) { checklist { item done doneBy } }
}
"""


async def test_graphql_reads_and_ticks(world: Any) -> None:
    _, person, _, coaching = await sprint(world)
    await consent_to_handoff(world, person["person_id"])
    handoff = await handed_over(world, coaching)
    mine = world.person(person["person_id"], "matching:read", "matching:write")

    read = await world.client.post(
        "/graphql", json={"query": HANDOFFS, "variables": {"person": person["person_id"]}}, headers=mine
    )
    ticked = await world.client.post(
        "/graphql", json={"query": TICK, "variables": {"id": handoff["id"]}}, headers=mine
    )
    stranger = await world.client.post(
        "/graphql",
        json={"query": TICK, "variables": {"id": handoff["id"]}},
        headers=world.person(uuid.uuid4(), "matching:read", "matching:write"),
    )

    page = read.json()["data"]["handoffs"]
    assert page["total"] == 1
    assert page["items"][0]["context"]["goals"] == {
        "behaviouralGoals": ["executive_presence"],
        "wantedSkills": [{"skill": "ml_governance", "level": 4}],
    }
    items = ticked.json()["data"]["updateHandoffChecklist"]["checklist"]
    assert items[0] == {
        "item": "coaching_closing_notes_submitted",
        "done": True,
        "doneBy": f"person:{person['person_id']}",
    }
    assert stranger.json()["errors"][0]["extensions"]["status"] == 404
