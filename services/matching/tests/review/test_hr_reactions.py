"""The program reacts to the HR directory: deactivation ends matches and closes proposals, a job
change flags the match for review; each through the real broker, once per event, never on a stale one."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tandem_kit.testing import TestKeys

API = "/api/v1/matching"
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def deactivated(person: Any, *, at: datetime) -> dict[str, Any]:
    return {"person_id": str(person), "deactivated_at": at.isoformat(), "source": "scim"}


def reactivated(person: Any, *, at: datetime) -> dict[str, Any]:
    return {"person_id": str(person), "reactivated_at": at.isoformat(), "source": "scim"}


def job_change(person: Any, *, at: datetime, level_rank: int = 4) -> dict[str, Any]:
    old = {"title": "Engineer", "level": "L3", "level_rank": 3, "department": "Data", "manager_id": None}
    new = {**old, "title": "Lead", "level": f"L{level_rank}", "level_rank": level_rank}
    return {
        "person_id": str(person),
        "old": old,
        "new": new,
        "promotion": level_rank > 3,
        "effective_at": at.isoformat(),
        "source": "workday",
    }


async def matched(world: Any) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    program = await world.program()
    await world.coach(program)
    person = await world.intake(program, triggers=["high_stakes_behavioural_shift"])
    proposal = await world.proposal(person)
    resp = await world.client.post(
        f"{API}/proposals/{proposal['id']}/approve", json={}, headers=world.headers
    )
    assert resp.status_code == 200, resp.text
    return program, person, resp.json()


async def get(world: Any, path: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    resp = await world.client.get(API + path, headers=headers or world.headers)
    assert resp.status_code == 200, resp.text
    result: dict[str, Any] = resp.json()
    return result


async def test_deactivated_participant_through_the_broker(committed_world: Any, hr: Any) -> None:
    world = committed_world
    program, person, match = await matched(world)
    # The dual track's second need (a mentor) is still a pending proposal.
    await world.mentor(program)
    pending = await world.proposal(person, kind="mentor")
    event = await hr.publish("PersonDeactivated", deactivated(person["person_id"], at=T0))

    ended = await get(world, f"/matches/{match['id']}")
    assert (ended["status"], ended["end_reason"]) == ("ended", "terminated")
    assert (await get(world, f"/proposals/{pending['id']}"))["status"] == "closed"
    [sent] = [e for e in await world.outbox("MatchEnded") if e["data"]["match_id"] == match["id"]]
    assert (sent["data"]["reason"], sent["data"]["ended_by"]) == ("terminated", "system:hris")
    coach = await get(world, f"/providers/{match['provider_id']}")
    assert coach["active_load"] == 0
    decisions = (await get(world, f"/programs/{program['id']}/decisions"))["items"]
    assert [(d["action"], d["actor"], d["reason"]) for d in decisions[-2:]] == [
        ("ended", "system:hris", "terminated"),
        ("closed", "system:hris", "participant_deactivated"),
    ]
    # Redelivered (same id) and replayed (new id, same time): applied once, nothing more ends.
    assert await hr.apply(event) is False
    await hr.send("PersonDeactivated", deactivated(person["person_id"], at=T0))
    assert len([e for e in await world.outbox("MatchEnded") if e["data"]["match_id"] == match["id"]]) == 1


async def test_deactivated_provider_ends_their_matches_and_leaves_the_pool(world: Any, hr: Any) -> None:
    program, person, match = await matched(world)
    other = await world.coach(program, skills={"data_platforms": 2})
    await hr.send("PersonDeactivated", deactivated(match["provider_person_id"], at=T0))

    assert (await get(world, f"/matches/{match['id']}"))["end_reason"] == "terminated"
    proposal = await world.proposal(person)
    assert [c["provider_id"] for c in proposal["candidates"]] == [other["id"]]
    capacity = await get(world, f"/programs/{program['id']}/capacity")
    assert (capacity["coaches"], capacity["coach_capacity"]) == (1, other["capacity"])
    # An explicit choice of the deactivated coach is refused too.
    resp = await world.client.post(
        f"{API}/proposals/{proposal['id']}/override",
        json={"provider_id": match["provider_id"], "reason": "asked for the same coach again"},
        headers=world.headers,
    )
    assert resp.status_code == 409
    assert resp.json()["reasons"] == ["inactive"]


async def test_reactivated_provider_is_offered_again_without_restarting(world: Any, hr: Any) -> None:
    _, person, match = await matched(world)
    coach = match["provider_person_id"]
    await hr.send("PersonDeactivated", deactivated(coach, at=T0))
    await hr.send("PersonReactivated", reactivated(coach, at=T0 + timedelta(days=1)))

    assert (await get(world, f"/matches/{match['id']}"))["status"] == "ended"
    proposal = await world.proposal(person)
    assert [c["provider_id"] for c in proposal["candidates"]] == [match["provider_id"]]


async def test_a_stale_deactivation_changes_nothing(world: Any, hr: Any) -> None:
    _, person, match = await matched(world)
    pid = person["person_id"]
    await hr.send("PersonReactivated", reactivated(pid, at=T0 + timedelta(days=2)))
    await hr.send("PersonDeactivated", deactivated(pid, at=T0 + timedelta(days=1)))
    assert (await get(world, f"/matches/{match['id']}"))["status"] == "active"
    assert [e for e in await world.outbox("MatchEnded") if e["data"]["match_id"] == match["id"]] == []


async def test_job_change_flags_the_match_through_the_broker(committed_world: Any, hr: Any) -> None:
    world = committed_world
    _, person, match = await matched(world)
    event = await hr.publish("PersonJobChanged", job_change(person["person_id"], at=T0))

    seen = await get(world, f"/matches/{match['id']}")
    assert (seen["status"], seen["review_reason"], seen["flagged_at"]) == (
        "active",
        "job_changed",
        "2026-12-01T09:00:00Z",
    )
    # The participant (a party) does not see the staff's review flag.
    own = await get(world, f"/matches/{match['id']}", world.person(person["person_id"]))
    assert (own["id"], own["review_reason"]) == (match["id"], None)
    flagged = [e for e in await world.outbox("MatchFlaggedForReview") if e["data"]["match_id"] == match["id"]]
    assert [(e["data"]["reason"], e["data"]["participant_id"]) for e in flagged] == [
        ("job_changed", person["person_id"])
    ]
    # Redelivery flags nothing twice; a later change keeps the first flag and sends no second event.
    assert await hr.apply(event) is False
    await hr.send(
        "PersonJobChanged", job_change(person["person_id"], at=T0 + timedelta(days=1), level_rank=5)
    )
    assert (
        len([e for e in await world.outbox("MatchFlaggedForReview") if e["data"]["match_id"] == match["id"]])
        == 1
    )


async def test_a_stale_job_change_flags_nothing(world: Any, hr: Any) -> None:
    _, person, match = await matched(world)
    pid = person["person_id"]
    await hr.send("PersonProvisioned", hr.provisioned(pid, at=T0 + timedelta(days=1), level_rank=3))
    await hr.send("PersonJobChanged", job_change(pid, at=T0))
    assert (await get(world, f"/matches/{match['id']}"))["review_reason"] is None
    flags = await world.outbox("MatchFlaggedForReview")
    assert [e for e in flags if e["data"]["match_id"] == match["id"]] == []


async def test_flag_in_graphql_and_cleared_with_a_note(world: Any, hr: Any) -> None:
    program, person, match = await matched(world)
    await hr.send("PersonJobChanged", job_change(person["person_id"], at=T0))
    query = "query($id: ID!) { match(id: $id) { reviewReason flaggedAt } }"
    resp = await world.client.post(
        "/graphql", json={"query": query, "variables": {"id": match["id"]}}, headers=world.headers
    )
    assert resp.json()["data"]["match"] == {
        "reviewReason": "job_changed",
        "flaggedAt": "2026-12-01T09:00:00+00:00",
    }

    url = f"{API}/matches/{match['id']}/review/clear"
    resp = await world.client.post(url, json={"note": "new role keeps the same goals"}, headers=world.headers)
    assert resp.status_code == 200, resp.text
    assert (resp.json()["review_reason"], resp.json()["flagged_at"]) == (None, None)
    decisions = (await get(world, f"/programs/{program['id']}/decisions"))["items"]
    assert [(d["action"], d["reason"], d["details"].get("note")) for d in decisions[-2:]] == [
        ("flagged_for_review", "job_changed", None),
        ("review_cleared", "job_changed", "new role keeps the same goals"),
    ]
    again = await world.client.post(url, json={"note": "twice"}, headers=world.headers)
    assert again.status_code == 409
    assert again.json()["type"].endswith("match-not-flagged")


async def test_clear_review_anonymous(client: httpx.AsyncClient) -> None:
    resp = await client.post(f"{API}/matches/{uuid.uuid4()}/review/clear", json={"note": "fine"})
    assert resp.status_code == 401


async def test_clear_review_missing_scope(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.post(
        f"{API}/matches/{uuid.uuid4()}/review/clear",
        json={"note": "fine"},
        headers=keys.headers("matching:read"),
    )
    assert resp.status_code == 403
    assert resp.json()["missing_scopes"] == ["matching:decide"]


async def test_clear_review_unknown_match(world: Any) -> None:
    resp = await world.client.post(
        f"{API}/matches/{uuid.uuid4()}/review/clear", json={"note": "fine"}, headers=world.headers
    )
    assert resp.status_code == 404


async def test_a_party_cannot_clear(world: Any, hr: Any) -> None:
    _, person, match = await matched(world)
    await hr.send("PersonJobChanged", job_change(person["person_id"], at=T0))
    resp = await world.client.post(
        f"{API}/matches/{match['id']}/review/clear",
        json={"note": "all good"},
        headers=world.person(person["person_id"], "matching:read", "matching:decide"),
    )
    assert resp.status_code == 403
