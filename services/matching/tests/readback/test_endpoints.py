"""The HRIS read-back: participation and sponsor actions, only for people who granted `hris_readback`."""

import uuid
from typing import Any

import httpx

from tandem_kit.testing import TestKeys, asgi_client

API = "/api/v1/matching/hris/participation"


async def share(world: Any, person_id: str) -> None:
    """Grant `hris_readback` through the consent service's real API."""
    async with asgi_client(world.consent_app) as consent:
        resp = await consent.post(
            f"/api/v1/consent/people/{person_id}/consents/hris_readback/grants",
            json={"notice_version": 1},
            headers=world.keys.headers("consent:read", "consent:write"),
        )
    assert resp.status_code in (200, 201), resp.text


async def withdraw(world: Any, person_id: str) -> None:
    async with asgi_client(world.consent_app) as consent:
        resp = await consent.post(
            f"/api/v1/consent/people/{person_id}/consents/hris_readback/withdrawals",
            json={},
            headers=world.keys.headers("consent:read", "consent:write"),
        )
    assert resp.status_code == 201, resp.text


def hris(world: Any) -> dict[str, str]:
    return world.keys.headers("hris:read")


async def matched(world: Any) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]]:
    program = await world.program(name="Leaders 2027")
    mentor = await world.mentor(program, sponsorship_actions=7)
    person = await world.intake(program, triggers=["career_transition"])
    proposal = await world.proposal(person)
    resp = await world.client.post(
        f"/api/v1/matching/proposals/{proposal['id']}/approve", json={}, headers=world.headers
    )
    assert resp.status_code == 200, resp.text
    return program, mentor, person, resp.json()


async def test_anonymous(client: httpx.AsyncClient) -> None:
    assert (await client.get(API)).status_code == 401


async def test_missing_scope(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.get(API, headers=keys.headers("matching:read"))
    assert resp.status_code == 403
    assert resp.json()["missing_scopes"] == ["hris:read"]


async def test_a_person_without_a_manager_role_is_refused(world: Any) -> None:
    me = uuid.uuid4()
    resp = await world.client.get(API, headers=world.person(me, "hris:read"))
    assert resp.status_code == 403
    assert resp.json()["type"].endswith("program-manager-required")


async def test_only_consenting_people_are_shared(world: Any) -> None:
    program, mentor, person, match = await matched(world)
    await share(world, person["person_id"])
    await share(world, mentor["person_id"])
    quiet = await world.intake(program)  # never granted `hris_readback`

    resp = await world.client.get(API, params={"since": match["approved_at"]}, headers=hris(world))
    assert resp.status_code == 200, resp.text
    by_person = {item["person_id"]: item for item in resp.json()["items"]}
    assert quiet["person_id"] not in by_person
    [participant] = by_person[person["person_id"]]["programs"]
    assert {k: participant[k] for k in ("program_name", "role", "track", "status", "sponsor_actions")} == {
        "program_name": "Leaders 2027",
        "role": "participant",
        "track": "mentor",
        "status": "active",
        "sponsor_actions": 0,  # a mentee with no sponsor action logged yet
    }
    assert (participant["matched_at"], participant["ended_at"]) == (match["approved_at"], None)
    [provider] = by_person[mentor["person_id"]]["programs"]
    assert (provider["role"], provider["status"], provider["sponsor_actions"]) == ("mentor", "active", 7)


async def test_one_person_and_its_404s(world: Any) -> None:
    program, _, person, match = await matched(world)
    url = f"{API}/{person['person_id']}"
    # Not consented yet: 404, the same answer as for someone unknown.
    resp = await world.client.get(url, headers=hris(world))
    assert resp.status_code == 404
    assert resp.json()["type"].endswith("participation-not-found")
    assert (await world.client.get(f"{API}/{uuid.uuid4()}", headers=hris(world))).status_code == 404

    await share(world, person["person_id"])
    ended = await world.client.post(
        f"/api/v1/matching/matches/{match['id']}/end", json={"reason": "completed"}, headers=world.headers
    )
    assert ended.status_code == 200
    body = (await world.client.get(url, headers=hris(world))).json()
    assert [(p["program_id"], p["status"], p["ended_at"]) for p in body["programs"]] == [
        (program["id"], "ended", ended.json()["ended_at"])
    ]
    # A withdrawal stops sharing at once (the read-back never caches consent).
    await withdraw(world, person["person_id"])
    assert (await world.client.get(url, headers=hris(world))).status_code == 404


async def test_pages_walk_every_consenting_person_once(world: Any) -> None:
    program = await world.program()
    people = [await world.intake(program) for _ in range(5)]
    since = min(p["created_at"] for p in people)
    for p in people[1:]:
        await share(world, p["person_id"])

    seen: list[str] = []
    cursor: str | None = None
    for _ in range(10):
        params = {"since": since, "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await world.client.get(API, params=params, headers=hris(world))).json()
        seen.extend(item["person_id"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    ours = {p["person_id"] for p in people}
    assert [pid for pid in seen if pid in ours] == sorted(p["person_id"] for p in people[1:])


async def test_bad_cursor_is_a_problem_naming_it(world: Any) -> None:
    resp = await world.client.get(API, params={"cursor": "not-a-uuid"}, headers=hris(world))
    assert resp.status_code == 422
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert "cursor" in resp.text


async def test_sponsor_actions_come_from_the_log(world: Any) -> None:
    _, mentor, person, match = await matched(world)
    await share(world, person["person_id"])
    await share(world, mentor["person_id"])
    actions = f"/api/v1/matching/matches/{match['id']}/sponsor-actions"
    today = match["approved_at"][:10]
    kept = await world.client.post(
        actions, json={"kind": "advocacy", "action_date": today}, headers=world.headers
    )
    gone = await world.client.post(
        actions, json={"kind": "introduction", "action_date": today}, headers=world.headers
    )
    assert (kept.status_code, gone.status_code) == (201, 201)
    retracted = await world.client.post(f"{actions}/{gone.json()['id']}/retract", headers=world.headers)
    assert retracted.status_code == 200

    mentee = (await world.client.get(f"{API}/{person['person_id']}", headers=hris(world))).json()
    sponsor = (await world.client.get(f"{API}/{mentor['person_id']}", headers=hris(world))).json()

    assert mentee["programs"][0]["sponsor_actions"] == 1
    # The log replaces the 7 typed into the profile.
    assert sponsor["programs"][0]["sponsor_actions"] == 1
    assert sponsor["changed_at"] >= retracted.json()["retracted_at"]
