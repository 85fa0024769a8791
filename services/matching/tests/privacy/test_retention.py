"""Retention purges of intake responses and match proposals, asked for by consent's retention run.

One test runs the real consent retention run and lets its events reach matching through the broker
(committed data, programs that ended years ago). The others build their data in the test's rolled-back
transaction, in programs that ended in the 1990s, and run the purge with a 1996 cutoff: nothing any
other test commits is that old, so the counts are this test's own.
"""

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select, update

from tandem_consent.events import RetentionPurgeRequested
from tandem_consent.testing import consent_events
from tandem_kit.events import EventConsumer, EventEnvelope, processed_events
from tandem_kit.testing import asgi_client, eventually, sessionmaker_of
from tandem_matching.models import Match
from tandem_matching.privacy import retention

API = "/api/v1/matching"
CONSUMER = "matching-retention-purges"
CUTOFF = datetime(1996, 1, 1, tzinfo=UTC)
ENDED = {"starts_on": "1994-01-03", "ends_on": "1994-12-16"}
"""A program over before the cutoff (its engagements ended with it)."""
LATER = {"starts_on": "1996-01-08", "ends_on": "1996-12-20"}
"""A program over after the cutoff."""
OVERRIDE_REASON = "Private: wants sponsorship after the sprint"


async def _get(world: Any, path: str, *, status: int = 200) -> Any:
    resp = await world.client.get(API + path, headers=world.headers)
    assert resp.status_code == status, resp.text
    return resp.json()


async def _decide(world: Any, proposal: dict[str, Any], verb: str, **body: Any) -> dict[str, Any]:
    resp = await world.client.post(
        f"{API}/proposals/{proposal['id']}/{verb}", json=body, headers=world.headers
    )
    assert resp.status_code == 200, resp.text
    result: dict[str, Any] = resp.json()
    return result


async def _engagement(world: Any, program: dict[str, Any]) -> dict[str, Any]:
    """A participant with a track override, a rejected proposal and a match made from a second one."""
    intake = await world.intake(program)
    resp = await world.client.post(
        f"{API}/intakes/{intake['id']}/track-override",
        json={"track": "coach_then_mentor", "reason": OVERRIDE_REASON},
        headers=world.headers,
    )
    assert resp.status_code == 200, resp.text
    rejected = await _decide(
        world, await world.proposal(intake), "reject", reason="Private: too close to the team"
    )
    approved = await world.proposal(intake)
    match = await _decide(world, approved, "approve", reason="Private: good fit for the reorg")
    return {"intake": intake, "rejected": rejected, "approved": approved, "match": match}


async def _purge(world: Any, category: str, action: str, cutoff: datetime = CUTOFF) -> int:
    """Matching's purge of one category, in the test's transaction; the rows it changed."""
    async with sessionmaker_of(world.app)() as session, session.begin():
        return await retention.PURGES[category](session, cutoff, action)


def _envelope(*, service: str, category: str, action: str = "delete") -> EventEnvelope:
    event = RetentionPurgeRequested(
        run_id=uuid.uuid4(), category=category, service=service, action=action, cutoff=CUTOFF
    )
    return EventEnvelope(
        id=uuid.uuid4(),
        type="RetentionPurgeRequested",
        source="consent",
        occurred_at=datetime.now(UTC),
        data=event.model_dump(mode="json"),
    )


def _answers(intake: dict[str, Any]) -> tuple[Any, ...]:
    return (
        intake["triggers"],
        intake["track_reason"],
        intake["timezone"],
        intake["working_hours"],
        intake["languages"],
        intake["wanted_skills"],
        intake["behavioural_goals"],
    )


EMPTY_ANSWERS = ([], "", "UTC", [], [], {}, [])


async def test_intake_responses_of_ended_engagements_are_deleted(world: Any) -> None:
    ended = await world.program(**ENDED)
    await world.coach(ended)
    expired = await _engagement(world, ended)
    never_matched = await world.intake(ended)
    pending = await world.proposal(never_matched)
    later = await world.program(**LATER)
    await world.coach(later)
    kept = await _engagement(world, later)

    # The expired intake's answers and the override reason the audit copied from them.
    assert await _purge(world, "intake_responses", "delete") == 2

    intake = await _get(world, f"/intakes/{expired['intake']['id']}")
    assert _answers(intake) == EMPTY_ANSWERS
    assert (intake["person_id"], intake["track"], intake["track_overridden"]) == (
        expired["intake"]["person_id"],
        "coach_then_mentor",
        True,
    )
    decisions = (await _get(world, f"/programs/{ended['id']}/decisions"))["items"]
    assert [(d["action"], d["reason"]) for d in decisions] == [
        ("track_overridden", None),
        ("rejected", "Private: too close to the team"),
        ("approved", "Private: good fit for the reorg"),
    ]
    # The match and its proposal are another category's; a participant never matched has no clock.
    assert (await _get(world, f"/matches/{expired['match']['id']}"))["status"] == "active"
    untouched = await _get(world, f"/intakes/{never_matched['id']}")
    assert untouched["behavioural_goals"] == ["stakeholder_management"]
    assert (await _get(world, f"/proposals/{pending['id']}"))["status"] == "pending"
    running = await _get(world, f"/intakes/{kept['intake']['id']}")
    assert (running["timezone"], running["track_reason"]) == ("Europe/Berlin", OVERRIDE_REASON)
    # A second run finds nothing left to purge.
    assert await _purge(world, "intake_responses", "delete") == 0


async def test_ended_match_proposals_are_anonymized_and_statistics_hold(world: Any) -> None:
    ended = await world.program(**ENDED)
    await world.coach(ended)
    expired = await _engagement(world, ended)
    pending = await world.proposal(await world.intake(ended))
    later = await world.program(**LATER)
    await world.coach(later)
    kept = await _engagement(world, later)
    rate_before = await _get(world, f"/programs/{ended['id']}/reassignment-rate")
    before = {p["id"]: p for p in (await _get(world, f"/programs/{ended['id']}/proposals"))["items"]}

    # 2 proposals, their 2 ranked candidates, 2 audit reasons (rejection and approval).
    assert await _purge(world, "match_proposals", "anonymize") == 6

    person_id = expired["intake"]["person_id"]
    approved = await _get(world, f"/proposals/{expired['approved']['id']}")
    rejected = await _get(world, f"/proposals/{expired['rejected']['id']}")
    stand_in = approved["participant_id"]
    assert stand_in != person_id
    assert rejected["participant_id"] == stand_in  # one stand-in per person: per-person counts hold
    for proposal in (approved, rejected):
        original = before[proposal["id"]]
        assert (proposal["decision_reason"], proposal["excluded_signals"]) == (None, [])
        assert [(c["rank"], c["provider_id"], c["score"], c["signals"]) for c in proposal["candidates"]] == [
            (c["rank"], c["provider_id"], c["score"], []) for c in original["candidates"]
        ]
        assert (proposal["status"], proposal["weights_used"], proposal["match_id"]) == (
            original["status"],
            original["weights_used"],
            original["match_id"],
        )
    decisions = (await _get(world, f"/programs/{ended['id']}/decisions"))["items"]
    assert [(d["action"], d["reason"], d["score"]) for d in decisions] == [
        ("track_overridden", OVERRIDE_REASON, None),
        ("rejected", None, before[expired["rejected"]["id"]]["candidates"][0]["score"]),
        ("approved", None, expired["match"]["score"]),
    ]
    assert await _get(world, f"/programs/{ended['id']}/reassignment-rate") == rate_before
    match = await _get(world, f"/matches/{expired['match']['id']}")
    assert (match["proposal_id"], match["score"]) == (expired["approved"]["id"], expired["match"]["score"])
    # Still open, or still running: untouched.
    assert (await _get(world, f"/proposals/{pending['id']}"))["candidates"][0]["signals"] != []
    running = await _get(world, f"/proposals/{kept['approved']['id']}")
    assert (running["participant_id"], running["decision_reason"]) == (
        kept["intake"]["person_id"],
        "Private: good fit for the reorg",
    )
    assert await _purge(world, "match_proposals", "anonymize") == 0


async def test_a_reassigned_match_starts_its_proposals_clock_while_the_engagement_runs(world: Any) -> None:
    program = await world.program()
    coaches = [await world.coach(program), await world.coach(program)]
    w = await _engagement(world, program)
    [replacement] = [c["id"] for c in coaches if c["id"] != w["match"]["provider_id"]]
    resp = await world.client.post(
        f"{API}/matches/{w['match']['id']}/reassign",
        json={"provider_id": replacement, "reason": "Coach moved to another site"},
        headers=world.headers,
    )
    assert resp.status_code == 200, resp.text
    async with sessionmaker_of(world.app)() as session, session.begin():
        await session.execute(
            update(Match)
            .where(Match.id == uuid.UUID(w["match"]["id"]))
            .values(ended_at=datetime(1995, 3, 1, tzinfo=UTC))
        )
    rate_before = await _get(world, f"/programs/{program['id']}/reassignment-rate")

    # The engagement goes on with the replacement match: its intake keeps its answers.
    assert await _purge(world, "intake_responses", "delete") == 0
    # The proposal the ended match was made from: 1 proposal, its 2 candidates, 1 approval reason.
    assert await _purge(world, "match_proposals", "anonymize") == 4

    assert (await _get(world, f"/proposals/{w['approved']['id']}"))["participant_id"] != w["intake"][
        "person_id"
    ]
    # The rejected proposal has no match of its own and the engagement still runs.
    assert (await _get(world, f"/proposals/{w['rejected']['id']}"))["participant_id"] == w["intake"][
        "person_id"
    ]
    assert (await _get(world, f"/intakes/{w['intake']['id']}"))["behavioural_goals"] == [
        "stakeholder_management"
    ]
    assert await _get(world, f"/programs/{program['id']}/reassignment-rate") == rate_before


async def test_delete_action_deletes_ended_proposals_and_keeps_the_match(world: Any) -> None:
    ended = await world.program(**ENDED)
    await world.coach(ended)
    expired = await _engagement(world, ended)
    rate_before = await _get(world, f"/programs/{ended['id']}/reassignment-rate")

    # 2 proposals, 2 candidates, 2 audit reasons.
    assert await _purge(world, "match_proposals", "delete") == 6

    await _get(world, f"/proposals/{expired['approved']['id']}", status=404)
    await _get(world, f"/proposals/{expired['rejected']['id']}", status=404)
    match = await _get(world, f"/matches/{expired['match']['id']}")
    assert (match["proposal_id"], match["status"], match["score"]) == (
        None,
        "active",
        expired["match"]["score"],
    )
    decisions = (await _get(world, f"/programs/{ended['id']}/decisions"))["items"]
    assert [(d["action"], d["proposal_id"], d["reason"]) for d in decisions] == [
        ("track_overridden", None, OVERRIDE_REASON),
        ("rejected", None, None),
        ("approved", None, None),
    ]
    assert await _get(world, f"/programs/{ended['id']}/reassignment-rate") == rate_before
    assert await _purge(world, "match_proposals", "delete") == 0


async def test_anonymize_action_on_intake_responses_gives_one_stand_in(world: Any) -> None:
    ended = await world.program(**ENDED)
    await world.coach(ended)
    expired = await _engagement(world, ended)
    person_id = expired["intake"]["person_id"]

    # 1 intake, 1 override reason, then the stand-in in 2 proposals and 1 match.
    assert await _purge(world, "intake_responses", "anonymize") == 5

    intake = await _get(world, f"/intakes/{expired['intake']['id']}")
    stand_in = intake["person_id"]
    assert stand_in != person_id
    assert _answers(intake) == EMPTY_ANSWERS
    assert (await _get(world, f"/matches/{expired['match']['id']}"))["participant_id"] == stand_in
    for proposal in (expired["approved"], expired["rejected"]):
        assert (await _get(world, f"/proposals/{proposal['id']}"))["participant_id"] == stand_in
    # The person, asking with their own token, no longer finds the engagement.
    mine = await world.client.get(f"{API}/programs/{ended['id']}/intakes", headers=world.person(person_id))
    assert (mine.json()["items"], mine.json()["total"]) == ([], 0)
    assert await _purge(world, "intake_responses", "anonymize") == 0


async def test_other_services_and_unknown_categories_are_ignored(world: Any) -> None:
    ended = await world.program(**ENDED)
    await world.coach(ended)
    expired = await _engagement(world, ended)
    consumer = EventConsumer(world.app.state.broker, sessionmaker_of(world.app), retention.subscription())

    for envelope in (
        _envelope(service="scheduling", category="session_notes"),
        _envelope(service="analytics", category="intake_responses"),
        _envelope(service="matching", category="provider_profiles"),
    ):
        assert await consumer.apply(envelope) is True

    intake = await _get(world, f"/intakes/{expired['intake']['id']}")
    assert (intake["timezone"], intake["behavioural_goals"]) == ("Europe/Berlin", ["stakeholder_management"])
    proposal = await _get(world, f"/proposals/{expired['approved']['id']}")
    assert proposal["participant_id"] == expired["intake"]["person_id"]


async def test_an_unknown_action_fails_and_changes_nothing(world: Any) -> None:
    ended = await world.program(**ENDED)
    await world.coach(ended)
    expired = await _engagement(world, ended)
    consumer = EventConsumer(world.app.state.broker, sessionmaker_of(world.app), retention.subscription())

    with pytest.raises(retention.UnknownRetentionAction):
        await consumer.apply(_envelope(service="matching", category="intake_responses", action="archive"))

    intake = await _get(world, f"/intakes/{expired['intake']['id']}")
    assert intake["behavioural_goals"] == ["stakeholder_management"]


async def test_consent_retention_run_purges_through_the_broker(committed_world: Any) -> None:
    world = committed_world
    # Ended more than 1095 days ago: both categories expired.
    old = await world.program(starts_on="2020-01-06", ends_on="2020-12-18")
    await world.coach(old)
    expired = await _engagement(world, old)
    # Ended about 1030 days ago: intake responses (730 days) expired, proposals (1095 days) not yet.
    mid = await world.program(starts_on="2023-02-06", ends_on="2024-01-26")
    await world.coach(mid)
    between = await _engagement(world, mid)
    current = await world.program()
    await world.coach(current)
    running = await _engagement(world, current)
    rate_before = await _get(world, f"/programs/{old['id']}/reassignment-rate")

    async with asgi_client(world.consent_app) as consent:
        resp = await consent.post(
            "/api/v1/consent/retention-runs",
            json={},
            headers=world.keys.headers("consent:write", "admin"),
        )
    assert resp.status_code == 201, resp.text
    run = resp.json()
    assert {(r["category"], r["requested"]) for r in run["results"] if r["service"] == "matching"} == {
        ("intake_responses", True),
        ("match_proposals", True),
    }
    await _purged(world, run["id"])

    gone = await _get(world, f"/intakes/{expired['intake']['id']}")
    assert _answers(gone) == EMPTY_ANSWERS
    approved = await _get(world, f"/proposals/{expired['approved']['id']}")
    assert approved["participant_id"] != expired["intake"]["person_id"]
    assert [c["signals"] for c in approved["candidates"]] == [[]]
    assert await _get(world, f"/programs/{old['id']}/reassignment-rate") == rate_before

    assert _answers(await _get(world, f"/intakes/{between['intake']['id']}")) == EMPTY_ANSWERS
    kept = await _get(world, f"/proposals/{between['approved']['id']}")
    assert (kept["participant_id"], kept["decision_reason"]) == (
        between["intake"]["person_id"],
        "Private: good fit for the reorg",
    )
    assert len(kept["candidates"][0]["signals"]) == 5

    still = await _get(world, f"/intakes/{running['intake']['id']}")
    assert (still["timezone"], still["track_reason"]) == ("Europe/Berlin", OVERRIDE_REASON)
    assert (await _get(world, f"/proposals/{running['approved']['id']}"))["decision_reason"] == (
        "Private: good fit for the reorg"
    )


async def _purged(world: Any, run_id: str) -> None:
    """Wait until matching's consumer has applied every purge the run asked of it."""
    purges = await consent_events(
        world.consent_app, "RetentionPurgeRequested", run_id=run_id, service="matching"
    )
    ids = {e.id for e in purges}
    assert len(ids) == 2

    async def applied() -> bool:
        async with sessionmaker_of(world.app)() as session:
            done = set(
                (
                    await session.scalars(
                        select(processed_events.c.event_id).where(
                            processed_events.c.event_id.in_(ids), processed_events.c.consumer == CONSUMER
                        )
                    )
                ).all()
            )
        return done == ids

    await eventually(applied, timeout=20)
