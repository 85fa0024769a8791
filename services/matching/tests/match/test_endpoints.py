import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from tandem_kit.events import outbox_messages
from tandem_kit.testing import TestKeys, sessionmaker_of

API = "/api/v1/matching"


async def _matched(world: Any) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    program = await world.program()
    await world.coach(program)
    person = await world.intake(program)
    proposal = await world.proposal(person)
    resp = await world.client.post(
        f"{API}/proposals/{proposal['id']}/approve", json={}, headers=world.headers
    )
    assert resp.status_code == 200
    return program, person, resp.json()


async def test_anonymous(client: httpx.AsyncClient) -> None:
    assert (await client.get(f"{API}/matches/{uuid.uuid4()}")).status_code == 401


async def test_missing_scope(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.get(f"{API}/matches/{uuid.uuid4()}", headers=keys.headers("consent:read"))
    assert resp.status_code == 403
    assert resp.json()["missing_scopes"] == ["matching:read"]


async def test_parties_see_match_others_not(world: Any) -> None:
    program, person, match = await _matched(world)
    url = f"{API}/matches/{match['id']}"
    assert (await world.client.get(url, headers=world.person(person["person_id"]))).json()["id"] == match[
        "id"
    ]
    provider = world.person(match["provider_person_id"], roles=("coach",))
    assert (await world.client.get(url, headers=provider)).status_code == 200
    assert (await world.client.get(url, headers=world.person(uuid.uuid4()))).status_code == 404
    listed = await world.client.get(
        f"{API}/programs/{program['id']}/matches", headers=world.person(uuid.uuid4())
    )
    assert (listed.json()["items"], listed.json()["total"]) == ([], 0)


async def test_reassign_keeps_history_and_rate(world: Any) -> None:
    program, person, match = await _matched(world)
    other = await world.coach(program)
    resp = await world.client.post(
        f"{API}/matches/{match['id']}/reassign",
        json={"provider_id": other["id"], "reason": "chemistry did not work"},
        headers=world.headers,
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["old_match"]["status"] == "reassigned"
    assert body["old_match"]["end_reason"] == "chemistry did not work"
    assert body["new_match"]["previous_match_id"] == match["id"]
    assert body["new_match"]["provider_id"] == other["id"]
    matches = (
        await world.client.get(f"{API}/programs/{program['id']}/matches", headers=world.headers)
    ).json()["items"]
    assert [m["status"] for m in matches] == ["reassigned", "active"]
    old_provider = (
        await world.client.get(f"{API}/providers/{match['provider_id']}", headers=world.headers)
    ).json()
    assert old_provider["active_load"] == 0
    [event] = [e for e in await world.outbox("MatchReassigned") if e["data"]["old_match_id"] == match["id"]]
    assert event["data"] == {
        "old_match_id": match["id"],
        "new_match_id": body["new_match"]["id"],
        "program_id": program["id"],
        "participant_id": person["person_id"],
        "reason": "chemistry did not work",
    }
    rate = (
        await world.client.get(f"{API}/programs/{program['id']}/reassignment-rate", headers=world.headers)
    ).json()
    assert rate == {
        "program_id": program["id"],
        "initial_matches": 1,
        "reassignments": 1,
        "rate": 1.0,
        "target": 0.1,
        "within_target": False,
    }
    decisions = (
        await world.client.get(f"{API}/programs/{program['id']}/decisions", headers=world.headers)
    ).json()["items"]
    assert [d["action"] for d in decisions] == ["approved", "reassigned"]


async def test_reassign_requires_reason(world: Any) -> None:
    _, _, match = await _matched(world)
    resp = await world.client.post(
        f"{API}/matches/{match['id']}/reassign",
        json={"provider_id": str(uuid.uuid4())},
        headers=world.headers,
    )
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["pointer"] == "#/reason"


async def test_reassign_ended_match_conflict(world: Any) -> None:
    program, _, match = await _matched(world)
    first = await world.coach(program)
    second = await world.coach(program)
    url = f"{API}/matches/{match['id']}/reassign"
    ok = await world.client.post(
        url, json={"provider_id": first["id"], "reason": "fit"}, headers=world.headers
    )
    assert ok.status_code == 200
    again = await world.client.post(
        url, json={"provider_id": second["id"], "reason": "fit"}, headers=world.headers
    )
    assert again.status_code == 409
    assert again.json()["type"].endswith("match-not-active")


async def test_rate_within_target(world: Any) -> None:
    program = await world.program()
    await world.coach(program, capacity=15)
    for _ in range(3):
        person = await world.intake(program)
        proposal = await world.proposal(person)
        await world.post(f"/proposals/{proposal['id']}/approve", {}, status=200)
    rate = (
        await world.client.get(f"{API}/programs/{program['id']}/reassignment-rate", headers=world.headers)
    ).json()
    assert (rate["initial_matches"], rate["reassignments"], rate["rate"], rate["within_target"]) == (
        3,
        0,
        0.0,
        True,
    )


async def test_capacity_holds_under_concurrent_approvals(committed_world: Any) -> None:
    """Committed data, real concurrency: five approvals race for a coach with room for two."""
    world = committed_world
    program = await world.program()
    coach = await world.coach(program, capacity=2)
    proposals = []
    for _ in range(5):
        person = await world.intake(program)
        proposals.append(await world.proposal(person))
    assert {p["candidates"][0]["provider_id"] for p in proposals} == {coach["id"]}
    results = await asyncio.gather(
        *(
            world.client.post(f"{API}/proposals/{p['id']}/approve", json={}, headers=world.headers)
            for p in proposals
        )
    )
    assert sorted(r.status_code for r in results) == [200, 200, 409, 409, 409]
    assert {r.json()["type"] for r in results if r.status_code == 409} == {
        "https://tandem.dev/problems/provider-at-capacity"
    }
    after = (await world.client.get(f"{API}/providers/{coach['id']}", headers=world.headers)).json()
    assert after["active_load"] == 2
    matches = (
        await world.client.get(f"{API}/programs/{program['id']}/matches", headers=world.headers)
    ).json()["items"]
    assert len(matches) == 2


async def _events(world: Any, *match_ids: str) -> list[tuple[str, dict[str, Any]]]:
    """(type, data) of the outbox events naming one of the matches, in the order the relay sends them."""
    ids = set(match_ids)
    async with sessionmaker_of(world.app)() as session:
        rows = await session.execute(select(outbox_messages.c.payload).order_by(outbox_messages.c.seq))
        payloads = [row.payload for row in rows]
    keys = ("match_id", "old_match_id", "new_match_id")
    return [(p["type"], p["data"]) for p in payloads if ids & {p["data"].get(k) for k in keys}]


async def _end(world: Any, match_id: str, body: dict[str, Any], **headers: str) -> httpx.Response:
    return await world.client.post(
        f"{API}/matches/{match_id}/end", json=body, headers=headers or world.headers
    )


async def test_end_anonymous(client: httpx.AsyncClient) -> None:
    resp = await client.post(f"{API}/matches/{uuid.uuid4()}/end", json={"reason": "completed"})
    assert resp.status_code == 401


async def test_end_missing_scope(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.post(
        f"{API}/matches/{uuid.uuid4()}/end",
        json={"reason": "completed"},
        headers=keys.headers("matching:read"),
    )
    assert resp.status_code == 403
    assert resp.json()["missing_scopes"] == ["matching:decide"]


async def test_end_by_a_party_is_forbidden(world: Any) -> None:
    _, person, match = await _matched(world)
    # Even a token holding matching:decide (a role mapping gone wrong) does not let a party decide.
    participant = world.person(person["person_id"], "matching:read", "matching:decide")
    coach = world.person(match["provider_person_id"], "matching:read", "matching:decide", roles=("coach",))
    for headers in (participant, coach):
        resp = await _end(world, match["id"], {"reason": "withdrawn"}, **headers)
        assert resp.status_code == 403
        assert resp.json()["type"].endswith("program-manager-required")
    still = (await world.client.get(f"{API}/matches/{match['id']}", headers=world.headers)).json()
    assert (still["status"], still["ended_at"]) == ("active", None)
    assert [t for t, _ in await _events(world, match["id"])] == ["MatchApproved"]


async def test_end_unknown_match(world: Any) -> None:
    resp = await _end(world, str(uuid.uuid4()), {"reason": "completed"})
    assert resp.status_code == 404
    assert resp.json()["type"].endswith("match-not-found")


async def test_end_validates_the_body(world: Any) -> None:
    _, _, match = await _matched(world)
    reassigned = await _end(world, match["id"], {"reason": "reassigned"})
    assert reassigned.status_code == 422
    assert reassigned.json()["errors"][0]["pointer"] == "#/reason"
    long_note = await _end(world, match["id"], {"reason": "completed", "note": "x" * 2001})
    assert long_note.status_code == 422
    assert long_note.json()["errors"][0]["pointer"] == "#/note"


async def test_end_valid(world: Any) -> None:
    program, person, match = await _matched(world)
    before = datetime.now(UTC)
    resp = await _end(world, match["id"], {"reason": "completed", "note": "All eight sessions held"})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert (body["id"], body["status"], body["end_reason"]) == (match["id"], "ended", "completed")
    ended_at = datetime.fromisoformat(body["ended_at"])
    assert ended_at.utcoffset() == timedelta(0)
    assert before <= ended_at <= datetime.now(UTC)
    events = await _events(world, match["id"])
    assert [t for t, _ in events] == ["MatchApproved", "MatchEnded"]
    assert events[1][1] == {
        "match_id": match["id"],
        "program_id": program["id"],
        "participant_id": person["person_id"],
        "provider_id": match["provider_id"],
        "provider_kind": "coach",
        "reason": "completed",
        "ended_at": body["ended_at"],
        "ended_by": "client:test-client",
    }
    decisions = (
        await world.client.get(f"{API}/programs/{program['id']}/decisions", headers=world.headers)
    ).json()["items"]
    ended = decisions[-1]
    assert (ended["action"], ended["actor"], ended["reason"], ended["details"]) == (
        "ended",
        "client:test-client",
        "completed",
        {"note": "All eight sessions held"},
    )
    assert (ended["match_id"], ended["intake_id"], ended["provider_id"]) == (
        match["id"],
        person["id"],
        match["provider_id"],
    )
    # An ended match is history, not a reassignment: the rate does not move.
    rate = (
        await world.client.get(f"{API}/programs/{program['id']}/reassignment-rate", headers=world.headers)
    ).json()
    assert (rate["initial_matches"], rate["reassignments"]) == (1, 0)


async def test_end_frees_the_providers_place(world: Any) -> None:
    program = await world.program()
    coach = await world.coach(program, capacity=1)
    first = await world.intake(program)
    match = await world.post(f"/proposals/{(await world.proposal(first))['id']}/approve", {}, status=200)
    waiting = await world.intake(program)
    full = await world.proposal(waiting)
    assert coach["id"] not in [c["provider_id"] for c in full["candidates"]]

    ended = await _end(world, match["id"], {"reason": "withdrawn"})
    assert ended.status_code == 200, ended.text

    provider = (await world.client.get(f"{API}/providers/{coach['id']}", headers=world.headers)).json()
    assert (provider["capacity"], provider["active_load"]) == (1, 0)
    proposal = await world.proposal(waiting)
    assert proposal["candidates"][0]["provider_id"] == coach["id"]
    second = await world.post(f"/proposals/{proposal['id']}/approve", {}, status=200)
    assert (second["provider_id"], second["status"]) == (coach["id"], "active")
    # The participant whose match ended may be matched again (the ended match no longer counts).
    again = await world.proposal(first)
    assert again["status"] == "pending"


async def test_end_twice_conflict(world: Any) -> None:
    _, _, match = await _matched(world)
    assert (await _end(world, match["id"], {"reason": "terminated"})).status_code == 200
    again = await _end(world, match["id"], {"reason": "completed"})
    assert again.status_code == 409
    problem = again.json()
    assert (problem["type"], problem["detail"], problem["match_status"]) == (
        "https://tandem.dev/problems/match-not-active",
        "The match is ended.",
        "ended",
    )
    # The first end stands: one MatchEnded, the reason unchanged.
    assert [t for t, _ in await _events(world, match["id"])] == ["MatchApproved", "MatchEnded"]
    after = (await world.client.get(f"{API}/matches/{match['id']}", headers=world.headers)).json()
    assert after["end_reason"] == "terminated"


async def test_end_reassigned_match_conflict(world: Any) -> None:
    program, _, match = await _matched(world)
    other = await world.coach(program)
    await world.post(
        f"/matches/{match['id']}/reassign", {"provider_id": other["id"], "reason": "moved"}, status=200
    )
    resp = await _end(world, match["id"], {"reason": "completed"})
    assert resp.status_code == 409
    assert resp.json()["match_status"] == "reassigned"


async def test_reassign_emits_ended_reassigned_approved_in_order(world: Any) -> None:
    program, person, match = await _matched(world)
    other = await world.coach(program)
    body = await world.post(
        f"/matches/{match['id']}/reassign",
        {"provider_id": other["id"], "reason": "chemistry did not work"},
        status=200,
    )
    new_id = body["new_match"]["id"]
    events = await _events(world, match["id"], new_id)
    assert [(t, d.get("match_id")) for t, d in events] == [
        ("MatchApproved", match["id"]),
        ("MatchEnded", match["id"]),
        ("MatchReassigned", None),
        ("MatchApproved", new_id),
    ]
    assert events[1][1] == {
        "match_id": match["id"],
        "program_id": program["id"],
        "participant_id": person["person_id"],
        "provider_id": match["provider_id"],
        "provider_kind": "coach",
        "reason": "reassigned",
        "ended_at": body["old_match"]["ended_at"],
        "ended_by": "client:test-client",
    }
    assert (events[3][1]["provider_id"], events[3][1]["proposal_id"]) == (other["id"], None)


async def test_crossing_reassignments_both_succeed(committed_world: Any) -> None:
    """Two reassignments that swap two coaches at once lock both coaches in the same order, so
    neither deadlocks (PostgreSQL would abort one of them: a 500)."""
    world = committed_world
    program = await world.program()
    first, second = await world.coach(program, capacity=2), await world.coach(program, capacity=2)
    matches = []
    for coach in (first, second):
        proposal = await world.proposal(await world.intake(program))
        resp = await world.client.post(
            f"{API}/proposals/{proposal['id']}/override",
            json={"provider_id": coach["id"], "reason": "chosen by the program manager"},
            headers=world.headers,
        )
        assert resp.status_code == 200, resp.text
        matches.append(resp.json())
    for _ in range(5):
        swapped = await asyncio.gather(
            *(
                world.client.post(
                    f"{API}/matches/{match['id']}/reassign",
                    json={"provider_id": other["id"], "reason": "swap"},
                    headers=world.headers,
                )
                for match, other in ((matches[0], second), (matches[1], first))
            )
        )
        assert [r.status_code for r in swapped] == [200, 200], [r.text for r in swapped]
        matches = [r.json()["new_match"] for r in swapped]
        first, second = second, first
    loads = [
        (await world.client.get(f"{API}/providers/{c['id']}", headers=world.headers)).json()["active_load"]
        for c in (first, second)
    ]
    assert loads == [1, 1]
