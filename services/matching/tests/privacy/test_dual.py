"""Access and erasure reach the handoffs and the sponsor action log; retention drops their free text
and the goals copied into handoffs."""

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update

from tandem_kit.testing import asgi_client, eventually, sessionmaker_of
from tandem_matching.models import Handoff, Match, SponsorAction
from tandem_matching.privacy import retention

API = "/api/v1/matching"
REQUESTS = "/api/v1/consent/data-subject-requests"
TODAY = datetime.now(UTC).date().isoformat()
SECRET = "Private: talked her up to the CFO"


async def _consent(world: Any, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    async with asgi_client(world.consent_app) as consent:
        resp = await consent.request(
            method, path, json=body, headers=world.keys.headers("consent:read", "consent:write")
        )
    assert resp.status_code in (200, 201), resp.text
    return resp.json()


async def _answered(world: Any, person_id: str, kind: str) -> tuple[dict[str, Any], dict[str, Any]]:
    request = await _consent(world, "POST", REQUESTS, {"person_id": person_id, "kind": kind})

    async def receipt() -> dict[str, Any] | None:
        found = await _consent(world, "GET", f"{REQUESTS}/{request['id']}")
        return next((r for r in found["receipts"] if r["service"] == "matching"), None)

    return request, await eventually(receipt, timeout=20)


async def _post(world: Any, path: str, body: dict[str, Any], status: int = 200) -> dict[str, Any]:
    resp = await world.client.post(API + path, json=body, headers=world.headers)
    assert resp.status_code == status, resp.text
    result: dict[str, Any] = resp.json()
    return result


async def _handed_over(world: Any) -> dict[str, Any]:
    """A dual-track participant whose sprint completed (handoff through the broker), now with a mentor
    who logged one sponsor action with a description."""
    program = await world.program()
    await world.coach(program)
    mentor = await world.mentor(program)
    person = await world.intake(program, triggers=["high_stakes_behavioural_shift"])
    coaching = await _post(world, f"/proposals/{(await world.proposal(person))['id']}/approve", {})
    await _post(world, f"/matches/{coaching['id']}/end", {"reason": "completed"})

    async def handoff() -> list[dict[str, Any]]:
        resp = await world.client.get(
            f"{API}/participants/{person['person_id']}/handoffs", headers=world.headers
        )
        items: list[dict[str, Any]] = resp.json()["items"]
        return items

    [prepared] = await eventually(handoff)
    mentoring = await _post(world, f"/proposals/{prepared['proposal_id']}/approve", {})
    action = await _post(
        world,
        f"/matches/{mentoring['id']}/sponsor-actions",
        {"kind": "advocacy", "action_date": TODAY, "description": SECRET},
        status=201,
    )
    return {"person": person, "mentor": mentor, "handoff": prepared, "mentoring": mentoring, "action": action}


async def test_access_and_erasure_of_a_handed_over_participant(committed_world: Any) -> None:
    world = committed_world
    w = await _handed_over(world)
    person_id = w["person"]["person_id"]

    access, _ = await _answered(world, person_id, "access")
    export = (await _consent(world, "GET", f"{REQUESTS}/{access['id']}/export"))["services"]["matching"]
    assert [h["id"] for h in export["handoffs"]] == [w["handoff"]["id"]]
    assert [(a["id"], a["role"], a["description"]) for a in export["sponsor actions"]] == [
        (w["action"]["id"], "mentee", SECRET)
    ]

    _, receipt = await _answered(world, person_id, "erasure")

    assert receipt["outcome"] == "completed"
    assert "1 handoff(s)" in receipt["detail"]
    async with sessionmaker_of(world.app)() as session:
        assert (
            await session.scalar(select(Handoff).where(Handoff.id == uuid.UUID(w["handoff"]["id"]))) is None
        )
        action = await session.get(SponsorAction, uuid.UUID(w["action"]["id"]))
        assert action is not None
        assert action.description is None
        assert str(action.participant_id) != person_id
        assert (action.kind, str(action.mentor_person_id)) == ("advocacy", w["mentor"]["person_id"])


async def test_erasure_of_the_mentor_replaces_their_side(committed_world: Any) -> None:
    world = committed_world
    w = await _handed_over(world)
    mentor_id = w["mentor"]["person_id"]

    _, receipt = await _answered(world, mentor_id, "erasure")

    assert receipt["outcome"] == "completed"
    async with sessionmaker_of(world.app)() as session:
        action = await session.get(SponsorAction, uuid.UUID(w["action"]["id"]))
        handoff = await session.get(Handoff, uuid.UUID(w["handoff"]["id"]))
        assert action is not None
        assert handoff is not None
        assert action.description is None
        assert str(action.mentor_person_id) != mentor_id
        assert action.mentor_person_id == handoff.mentor_person_id
        assert str(action.participant_id) == w["person"]["person_id"]


async def test_retention_drops_descriptions_of_ended_matches(world: Any) -> None:
    program = await world.program(starts_on="1994-01-03", ends_on="1994-12-16")
    mentor = await world.mentor(program)
    person = await world.intake(program, triggers=["career_transition"])
    match = await _post(world, f"/proposals/{(await world.proposal(person))['id']}/approve", {})
    action = await _post(
        world,
        f"/matches/{match['id']}/sponsor-actions",
        {"kind": "introduction", "action_date": TODAY, "description": SECRET},
        status=201,
    )
    async with sessionmaker_of(world.app)() as session, session.begin():
        # The match ended in 1995: before the cutoff.
        ended = datetime(1995, 1, 2, tzinfo=UTC)
        await session.execute(
            update(Match).where(Match.id == uuid.UUID(match["id"])).values(status="ended", ended_at=ended)
        )
        changed = await retention.purge_match_proposals(
            session, datetime(1996, 1, 1, tzinfo=UTC), "anonymize"
        )
        again = await retention.purge_match_proposals(session, datetime(1996, 1, 1, tzinfo=UTC), "anonymize")
        row = await session.get(SponsorAction, uuid.UUID(action["id"]))
    assert changed >= 1
    assert again == 0
    assert row is not None
    assert (row.description, row.kind, str(row.mentor_person_id)) == (
        None,
        "introduction",
        mentor["person_id"],
    )
