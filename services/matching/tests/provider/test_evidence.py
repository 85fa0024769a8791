"""Eligibility follows training evidence: the gateway's events through the real broker, the lapse scan
on an injected clock, and the program manager's override (issue 13, item 3)."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from tandem_kit.events import EventEnvelope
from tandem_kit.testing import eventually, sessionmaker_of
from tandem_matching.eligibility import (
    BIAS_AWARENESS,
    CALIBRATION_REVIEW,
    CO_COACHING,
    CURRICULUM_WEEKS,
    DEMO_REVIEW,
    Policy,
)
from tandem_matching.models import TrainingEvidence
from tandem_matching.provider.tasks import scan_once

API = "/api/v1/matching"
MENTOR_TRAINING = [BIAS_AWARENESS, *CURRICULUM_WEEKS]
COACH_TRAINING = [DEMO_REVIEW, CO_COACHING, CALIBRATION_REVIEW]
WEEKS_3_4_MISSING = ["mentor_curriculum_week_3_missing", "mentor_curriculum_week_4_missing"]
MENTOR_MISSING = [f"{item}_missing" for item in MENTOR_TRAINING]


def retraction(recorded: EventEnvelope, *, voided_by: str = "void-1") -> EventEnvelope:
    data = recorded.data
    return EventEnvelope(
        id=uuid.uuid4(),
        type="TrainingEvidenceRetracted",
        source="gateway",
        occurred_at=datetime.now(UTC),
        data={
            **{k: data[k] for k in ("evidence_id", "person_id", "program_id", "item", "statement_id")},
            "voided_by": voided_by,
            "retracted_at": datetime.now(UTC).isoformat(),
        },
    )


async def eligibility(world: Any, provider: dict[str, Any]) -> dict[str, Any]:
    resp = await world.client.get(f"{API}/providers/{provider['id']}/eligibility", headers=world.headers)
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


async def changes(world: Any, provider: dict[str, Any]) -> list[tuple[bool, list[str], bool]]:
    """(eligible, reasons, override) of each ProviderEligibilityChanged about the provider, in order."""
    events = [
        e
        for e in await world.outbox("ProviderEligibilityChanged")
        if e["data"]["provider_id"] == provider["id"]
    ]
    events.sort(key=lambda e: e["occurred_at"])
    return [(e["data"]["eligible"], e["data"]["reasons"], e["data"]["override"]) for e in events]


async def publish(world: Any, envelope: EventEnvelope) -> None:
    js = await world.app.state.broker.jetstream(timeout=5)
    await js.publish(f"tandem.gateway.{envelope.type}", envelope.model_dump_json().encode())


async def test_evidence_through_the_broker_makes_a_mentor_eligible_then_voiding_drops_them(
    committed_world: Any,
) -> None:
    world = committed_world
    program = await world.program()
    mentor = await world.mentor(program, trained=[])
    assert (mentor["eligible"], mentor["ineligible_reasons"]) == (False, MENTOR_MISSING)
    recorded = [world.evidence(program, mentor, item) for item in MENTOR_TRAINING]
    for envelope in recorded:
        await publish(world, envelope)

    async def eligible() -> bool:
        return bool((await eligibility(world, mentor))["eligible"])

    assert await eventually(eligible)
    answer = await eligibility(world, mentor)
    assert answer["reasons"] == []
    assert [
        (g["name"], g["status"], [e["statement_id"] for e in g["evidence"]]) for g in answer["gates"]
    ] == [
        *((e.data["item"], "met", [e.data["statement_id"]]) for e in recorded),
        ("commitment_signed", "met", []),
    ]
    assert answer["gates"][0]["evidence"][0]["achieved_at"].startswith(recorded[0].data["achieved_at"][:19])
    first = await world.proposal(await world.intake(program, triggers=["career_transition"]))
    assert first["candidates"][0]["provider_id"] == mentor["id"]

    # The LMS voids week 3: the mentor is ineligible again and out of the next proposal.
    other = await world.mentor(program)
    await publish(world, retraction(recorded[3]))

    async def ineligible() -> bool:
        return not (await eligibility(world, mentor))["eligible"]

    assert await eventually(ineligible)
    assert (await eligibility(world, mentor))["reasons"] == ["mentor_curriculum_week_3_missing"]
    second = await world.proposal(await world.intake(program, triggers=["career_transition"]))
    assert [c["provider_id"] for c in second["candidates"]] == [other["id"]]
    # One event per change of the reasons as evidence came in, then the two flips.
    seen = await changes(world, mentor)
    assert len(seen) == 6
    assert seen[-2:] == [(True, [], False), (False, ["mentor_curriculum_week_3_missing"], False)]


async def test_same_evidence_id_twice_is_one_piece_of_evidence(world: Any) -> None:
    program = await world.program()
    mentor = await world.mentor(program, trained=MENTOR_TRAINING[1:])
    recorded = world.evidence(program, mentor, "bias_awareness_training")
    replayed = recorded.model_copy(update={"id": uuid.uuid4()})  # the gateway sent it again
    assert await world.apply(recorded) is True
    assert await world.apply(recorded) is False  # the same event: applied once
    assert await world.apply(replayed) is True  # a new event, the same evidence: upsert
    async with sessionmaker_of(world.app)() as session:
        rows = (
            await session.scalars(
                select(TrainingEvidence).where(TrainingEvidence.id == uuid.UUID(recorded.data["evidence_id"]))
            )
        ).all()
    assert [(r.item, r.statement_id, r.counts) for r in rows] == [
        ("bias_awareness_training", recorded.data["statement_id"], True)
    ]
    assert (await eligibility(world, mentor))["eligible"] is True


async def test_a_retraction_before_its_evidence_keeps_it_retracted(world: Any) -> None:
    program = await world.program()
    mentor = await world.mentor(program, trained=MENTOR_TRAINING[:4])
    recorded = world.evidence(program, mentor, "mentor_curriculum_week_4")
    assert await world.apply(retraction(recorded, voided_by="void-early")) is True
    assert await world.apply(recorded) is True  # late: it must not come back
    async with sessionmaker_of(world.app)() as session:
        row = await session.get(TrainingEvidence, uuid.UUID(recorded.data["evidence_id"]))
    assert row is not None
    assert (row.verb, row.voided_by, row.retracted_at is not None) == ("passed", "void-early", True)
    answer = await eligibility(world, mentor)
    assert (answer["eligible"], answer["reasons"]) == (False, ["mentor_curriculum_week_4_missing"])


async def test_failed_or_under_threshold_evidence_does_not_count(world: Any) -> None:
    program = await world.program()
    mentor = await world.mentor(program, trained=MENTOR_TRAINING[:4])
    failed = world.evidence(program, mentor, "mentor_curriculum_week_4", verb="failed", counts=False)
    await world.apply(failed)
    assert (await eligibility(world, mentor))["reasons"] == ["mentor_curriculum_week_4_missing"]


async def _evidenced_coach(world: Any, program: dict[str, Any], ages: dict[str, int]) -> dict[str, Any]:
    coach = await world.coach(program, trained=[])
    for item, days in ages.items():
        achieved = datetime.now(UTC) - timedelta(days=days)
        await world.apply(world.evidence(program, coach, item, achieved_at=achieved))
    assert (await eligibility(world, coach))["eligible"] is True
    return coach


async def test_coach_lapses_when_the_clock_passes_a_quarter(committed_world: Any) -> None:
    world = committed_world
    program = await world.program()
    coach = await _evidenced_coach(
        world,
        program,
        {"coach_demo_review": 20, "coach_co_coaching_session": 20, "calibration_review": 10},
    )
    sessionmaker, policy = sessionmaker_of(world.app), Policy()
    now = datetime.now(UTC)
    before = await changes(world, coach)
    await scan_once(sessionmaker, now=now + timedelta(days=80), policy=policy)  # 90 days old: still good
    assert await changes(world, coach) == before
    await scan_once(sessionmaker, now=now + timedelta(days=81, minutes=1), policy=policy)
    await scan_once(sessionmaker, now=now + timedelta(days=82), policy=policy)  # nothing new
    assert await changes(world, coach) == [*before, (False, ["calibration_review_lapsed"], False)]
    answer = await eligibility(world, coach)
    [review] = [g for g in answer["gates"] if g["name"] == "calibration_review"]
    assert (review["status"], review["missing"], len(review["evidence"])) == (
        "lapsed",
        "calibration_review_lapsed",
        1,
    )
    proposal = await world.proposal(await world.intake(program))
    assert coach["id"] not in {c["provider_id"] for c in proposal["candidates"]}


async def test_coach_certification_lapses_after_a_year(committed_world: Any) -> None:
    world = committed_world
    program = await world.program()
    coach = await _evidenced_coach(
        world,
        program,
        {
            "coach_demo_review": 400,
            "coach_co_coaching_session": 400,
            "recertification": 300,
            "calibration_review": 5,
        },
    )
    sessionmaker, policy = sessionmaker_of(world.app), Policy()
    now = datetime.now(UTC)
    before = await changes(world, coach)
    await scan_once(sessionmaker, now=now + timedelta(days=64), policy=policy)
    assert await changes(world, coach) == before
    for days in (65, 66):
        await scan_once(sessionmaker, now=now + timedelta(days=days), policy=policy)
    assert await changes(world, coach) == [*before, (False, ["recertification_lapsed"], False)]


async def test_override_needs_a_program_manager(world: Any) -> None:
    program = await world.program()
    mentor = await world.mentor(program, trained=[])
    body = {"override": {"gates": MENTOR_TRAINING, "reason": "Completed the curriculum at a partner"}}
    coach_person = world.person(uuid.uuid4(), "matching:write", "matching:decide", roles=("coach",))
    writer = world.keys.headers("matching:read", "matching:write")
    for headers in (coach_person, writer):
        resp = await world.client.patch(f"{API}/providers/{mentor['id']}", json=body, headers=headers)
        assert resp.status_code == 403, resp.text
    assert (await eligibility(world, mentor))["override"] is None


async def test_override_without_reason_names_the_field(world: Any) -> None:
    program = await world.program()
    mentor = await world.mentor(program, trained=[])
    resp = await world.client.patch(
        f"{API}/providers/{mentor['id']}",
        json={"override": {"gates": ["bias_awareness_training"], "reason": ""}},
        headers=world.headers,
    )
    assert resp.status_code == 422
    assert [e["pointer"] for e in resp.json()["errors"]] == ["#/override/reason"]


async def test_override_with_reason_is_audited_and_shown(world: Any) -> None:
    program = await world.program()
    mentor = await world.mentor(program, trained=MENTOR_TRAINING[:3])
    manager_id = uuid.uuid4()
    manager = world.person(
        manager_id, "matching:read", "matching:write", "matching:decide", roles=("program_manager",)
    )
    reason = "Weeks 3 and 4 taken at the partner academy, certificate on file"
    gates = ["mentor_curriculum_week_3", "mentor_curriculum_week_4"]
    resp = await world.client.patch(
        f"{API}/providers/{mentor['id']}",
        json={"override": {"gates": gates, "reason": reason}},
        headers=manager,
    )
    assert resp.status_code == 200, resp.text
    answer = await eligibility(world, mentor)
    assert (answer["eligible"], answer["reasons"]) == (True, [])
    assert {k: answer["override"][k] for k in ("gates", "by", "reason")} == {
        "gates": gates,
        "by": f"person:{manager_id}",
        "reason": reason,
    }
    assert [(g["name"], g["status"]) for g in answer["gates"]][2:5] == [
        ("mentor_curriculum_week_2", "met"),  # evidence, not the override
        ("mentor_curriculum_week_3", "overridden"),
        ("mentor_curriculum_week_4", "overridden"),
    ]
    cleared = await world.client.patch(
        f"{API}/providers/{mentor['id']}",
        json={"override": {"gates": [], "reason": "Certificate withdrawn"}},
        headers=manager,
    )
    assert cleared.json()["ineligible_reasons"] == WEEKS_3_4_MISSING
    decisions = (
        await world.client.get(f"{API}/programs/{program['id']}/decisions", headers=world.headers)
    ).json()["items"]
    assert [(d["action"], d["actor"], d["provider_id"], d["reason"], d["details"]) for d in decisions] == [
        ("eligibility_override", f"person:{manager_id}", mentor["id"], reason, {"gates": gates}),
        (
            "eligibility_override_cleared",
            f"person:{manager_id}",
            mentor["id"],
            "Certificate withdrawn",
            {"gates": []},
        ),
    ]
    assert await changes(world, mentor) == [
        (True, [], True),
        (False, WEEKS_3_4_MISSING, False),
    ]


async def test_graphql_shows_gates_and_override(world: Any) -> None:
    program = await world.program()
    coach = await world.coach(program, trained=COACH_TRAINING[:3])
    query = """query ($id: ID!) { provider(id: $id) {
        eligible ineligibleReasons eligibilityOverride { reason }
        eligibilityGates { name status missing evidence { item statementId } } } }"""
    resp = await world.client.post(
        "/graphql", json={"query": query, "variables": {"id": coach["id"]}}, headers=world.headers
    )
    got = resp.json()["data"]["provider"]
    assert (got["eligible"], got["ineligibleReasons"], got["eligibilityOverride"]) == (
        True,
        [],
        None,
    )
    assert [
        (g["name"], g["status"], [e["item"] for e in g["evidence"]]) for g in got["eligibilityGates"]
    ] == [
        ("calibration_panel", "met", []),
        ("coach_demo_review", "met", ["coach_demo_review"]),
        ("coach_co_coaching_session", "met", ["coach_co_coaching_session"]),
        ("calibration_review", "met", ["calibration_review"]),
        ("recertification", "met", ["coach_co_coaching_session", "coach_demo_review"]),
    ]
