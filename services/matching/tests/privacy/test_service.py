"""Access and erasure requests opened in the real consent service and answered by matching.

The matching app of the session runs its consumers, so every request opened here is answered through
the real broker; the data is committed (fresh person ids per test) so that consumer can see it.
"""

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select

from tandem_consent.events import DataSubjectRequestOpened
from tandem_consent.testing import consent_events
from tandem_kit.events import EventConsumer, EventEnvelope, processed_events
from tandem_kit.oauth_client import ServiceClient, StaticToken
from tandem_kit.privacy import forget_person, lock_for_erasure
from tandem_kit.testing import asgi_client, eventually, sessionmaker_of
from tandem_matching.models import DirectoryPerson, Intake, ProviderOutcome, TrainingEvidence
from tandem_matching.privacy import service as privacy

API = "/api/v1/matching"
REQUESTS = "/api/v1/consent/data-subject-requests"
CONSUMER = "matching-data-subject-requests"
OUTCOMES = "matching-provider-outcomes"


async def _consent(world: Any, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    async with asgi_client(world.consent_app) as consent:
        resp = await consent.request(
            method, path, json=body, headers=world.keys.headers("consent:read", "consent:write")
        )
    assert resp.status_code in (200, 201), resp.text
    return resp.json()


async def _open(world: Any, person_id: str, kind: str) -> dict[str, Any]:
    request: dict[str, Any] = await _consent(world, "POST", REQUESTS, {"person_id": person_id, "kind": kind})
    return request


async def _receipt(world: Any, request_id: str) -> dict[str, Any]:
    """Matching's receipt, once the consumer has answered through the broker."""

    async def answered() -> dict[str, Any] | None:
        request = await _consent(world, "GET", f"{REQUESTS}/{request_id}")
        return next((r for r in request["receipts"] if r["service"] == "matching"), None)

    found: dict[str, Any] = await eventually(answered, timeout=20)
    return found


async def _envelope(world: Any, request_id: str) -> EventEnvelope:
    """The DataSubjectRequestOpened event exactly as consent put it in its outbox."""
    (found,) = await consent_events(world.consent_app, "DataSubjectRequestOpened", request_id=request_id)
    return found


async def _get(world: Any, path: str, *, status: int = 200) -> Any:
    resp = await world.client.get(API + path, headers=world.headers)
    assert resp.status_code == status, resp.text
    return resp.json()


async def _approve(world: Any, proposal: dict[str, Any]) -> dict[str, Any]:
    resp = await world.client.post(
        f"{API}/proposals/{proposal['id']}/approve", json={}, headers=world.headers
    )
    assert resp.status_code == 200, resp.text
    match: dict[str, Any] = resp.json()
    return match


async def _outcomes(world: Any, provider: dict[str, Any], *, computed_at: datetime) -> bool:
    """Analytics' `ProviderOutcomesUpdated` for the provider, applied by matching's consumer."""
    [consumer] = [c for c in world.app.state.consumers if c.sub.name == OUTCOMES]
    data = {
        "provider_id": provider["id"],
        "program_id": provider["program_id"],
        "sessions_completed": 6,
        "sessions_no_show": 1,
        "completion_rate": 6 / 7,
        "rating_median": 4.5,
        "rating_count": 6,
        "computed_at": computed_at.isoformat(),
    }
    envelope = EventEnvelope(
        id=uuid.uuid4(),
        type="ProviderOutcomesUpdated",
        source="analytics",
        occurred_at=computed_at,
        data=data,
    )
    applied: bool = await consumer.apply(envelope)
    return applied


async def _outcome_rows(world: Any, *providers: dict[str, Any]) -> int:
    async with sessionmaker_of(world.app)() as session:
        rows = await session.scalars(
            select(ProviderOutcome.provider_id).where(
                ProviderOutcome.provider_id.in_([uuid.UUID(p["id"]) for p in providers])
            )
        )
        return len(rows.all())


async def _participant_world(world: Any) -> dict[str, Any]:
    """P: a coach match, a track override with a reason, a pending mentor proposal. Q: a coach match
    with the same coach."""
    program = await world.program()
    coach = await world.coach(program)
    mentor = await world.mentor(program)
    person = await world.intake(program, behavioural_goals=["stakeholder_management", "influence"])
    other = await world.intake(program)
    resp = await world.client.post(
        f"{API}/intakes/{person['id']}/track-override",
        json={"track": "coach_then_mentor", "reason": "Private: wants sponsorship after the sprint"},
        headers=world.headers,
    )
    assert resp.status_code == 200, resp.text
    match = await _approve(world, await world.proposal(person, kind="coach"))
    pending = await world.proposal(person, kind="mentor")
    other_match = await _approve(world, await world.proposal(other))
    return {
        "program": program,
        "coach": coach,
        "mentor": mentor,
        "person": person,
        "other": other,
        "match": match,
        "pending": pending,
        "other_match": other_match,
    }


async def test_access_exports_the_participants_rows_only(committed_world: Any) -> None:
    world = committed_world
    w = await _participant_world(world)
    person_id = w["person"]["person_id"]

    request = await _open(world, person_id, "access")
    receipt = await _receipt(world, request["id"])

    # 1 intake, 2 proposals with 1 ranked candidate each, 1 match, 2 audit entries (override, approval).
    assert (receipt["outcome"], receipt["records"]) == ("completed", 8)
    assert receipt["detail"] == (
        "Exported 8 record(s): 1 intakes, 0 providers, 2 proposals, 0 candidacies, 1 matches, "
        "2 decisions, 0 training evidence, 2 ranked candidates."
    )
    export = (await _consent(world, "GET", f"{REQUESTS}/{request['id']}/export"))["services"]["matching"]
    assert [i["id"] for i in export["intakes"]] == [w["person"]["id"]]
    assert set(export["intakes"][0]["behavioural_goals"]) == {"stakeholder_management", "influence"}
    assert [p["provider_kind"] for p in export["proposals"]] == ["coach", "mentor"]
    assert [len(p["candidates"]) for p in export["proposals"]] == [1, 1]
    assert export["matches"] == [
        {
            "id": w["match"]["id"],
            "program_id": w["program"]["id"],
            "provider_kind": "coach",
            "track": "coach_then_mentor",
            "score": w["match"]["score"],
            "status": "active",
            "approved_at": export["matches"][0]["approved_at"],
            "ended_at": None,
            "end_reason": None,
            "previous_match_id": None,
            "intake_id": w["person"]["id"],
            "proposal_id": w["match"]["proposal_id"],
            "review_reason": None,
            "flagged_at": None,
            "role": "participant",
        }
    ]
    assert [(d["action"], d["reason"]) for d in export["decisions"]] == [
        ("track_overridden", "Private: wants sponsorship after the sprint"),
        ("approved", None),
    ]
    assert export["providers"] == export["candidacies"] == []
    text = json.dumps(export)
    for someone_else in (
        w["other"]["person_id"],
        w["other"]["id"],
        w["coach"]["person_id"],
        w["coach"]["id"],
    ):
        assert someone_else not in text


async def test_access_exports_the_providers_side(committed_world: Any) -> None:
    world = committed_world
    w = await _participant_world(world)

    request = await _open(world, w["coach"]["person_id"], "access")
    receipt = await _receipt(world, request["id"])

    # 1 provider profile, ranked twice, 2 matches, 2 approvals naming the provider, 3 pieces of
    # training evidence (demo review, co-coaching session, calibration review).
    assert (receipt["outcome"], receipt["records"]) == ("completed", 10)
    export = (await _consent(world, "GET", f"{REQUESTS}/{request['id']}/export"))["services"]["matching"]
    assert [p["id"] for p in export["providers"]] == [w["coach"]["id"]]
    assert export["providers"][0]["skills"] == {"ml_engineering": 4, "data_platforms": 3}
    assert {c["provider_id"] for c in export["candidacies"]} == {w["coach"]["id"]}
    assert [(m["role"], m["provider_id"]) for m in export["matches"]] == [("provider", w["coach"]["id"])] * 2
    assert [d["action"] for d in export["decisions"]] == ["approved", "approved"]
    assert sorted(e["item"] for e in export["training evidence"]) == [
        "calibration_review",
        "coach_co_coaching_session",
        "coach_demo_review",
    ]
    text = json.dumps(export)
    for someone_else in (
        w["person"]["person_id"],
        w["person"]["id"],
        w["other"]["person_id"],
        w["other"]["id"],
    ):
        assert someone_else not in text


async def test_access_for_a_stranger_holds_nothing(committed_world: Any) -> None:
    request = await _open(committed_world, str(uuid.uuid4()), "access")

    receipt = await _receipt(committed_world, request["id"])

    assert (receipt["outcome"], receipt["records"], receipt["detail"]) == (
        "nothing_held",
        0,
        "Matching holds no data about this person.",
    )


async def test_erasure_deletes_the_participants_content_and_keeps_the_match(committed_world: Any) -> None:
    world = committed_world
    w = await _participant_world(world)
    person_id = w["person"]["person_id"]
    rate_before = await _get(world, f"/programs/{w['program']['id']}/reassignment-rate")

    receipt = await _receipt(world, (await _open(world, person_id, "erasure"))["id"])

    # Deleted: the pending mentor proposal and its candidate. De-identified: the intake, the approved
    # proposal, the match, the two audit entries.
    assert (receipt["outcome"], receipt["records"]) == ("completed", 7)
    assert receipt["detail"] == (
        "Deleted 0 intake(s), 1 proposal(s), 1 ranked candidate(s), 0 provider profile(s), 0 training evidence; "
        "de-identified 1 intake(s), 1 proposal(s), 0 provider profile(s), 1 match(es), 2 audit entr(ies), "
        "0 other people's manager chain(s); ended 1 active match(es)."
    )
    intake = await _get(world, f"/intakes/{w['person']['id']}")
    stand_in = intake["person_id"]
    assert stand_in != person_id
    assert (intake["behavioural_goals"], intake["triggers"], intake["timezone"], intake["track_reason"]) == (
        [],
        [],
        "UTC",
        "",
    )
    assert intake["track"] == "coach_then_mentor"
    match = await _get(world, f"/matches/{w['match']['id']}")
    # The erased person takes no further part: the match ended (withdrawn), the coach's place is free.
    assert (match["participant_id"], match["status"], match["end_reason"], match["provider_id"]) == (
        stand_in,
        "ended",
        "withdrawn",
        w["coach"]["id"],
    )
    ended = [p for p in await world.outbox("MatchEnded") if p["data"]["match_id"] == w["match"]["id"]]
    assert [(e["data"]["participant_id"], e["data"]["reason"]) for e in ended] == [(stand_in, "withdrawn")]
    coach = await _get(world, f"/providers/{w['coach']['id']}")
    assert coach["active_load"] == 1  # Q's match with the same coach goes on
    assert (await _get(world, f"/proposals/{w['match']['proposal_id']}"))["participant_id"] == stand_in
    await _get(world, f"/proposals/{w['pending']['id']}", status=404)
    decisions = (await _get(world, f"/programs/{w['program']['id']}/decisions"))["items"]
    override = next(d for d in decisions if d["action"] == "track_overridden")
    assert (override["reason"], override["actor"]) == (None, "client:test-client")
    # Someone else's data is untouched; program statistics still count the match.
    other = await _get(world, f"/intakes/{w['other']['id']}")
    assert (other["person_id"], other["behavioural_goals"]) == (
        w["other"]["person_id"],
        ["stakeholder_management"],
    )
    assert (await _get(world, f"/matches/{w['other_match']['id']}"))["participant_id"] == w["other"][
        "person_id"
    ]
    assert await _get(world, f"/programs/{w['program']['id']}/reassignment-rate") == rate_before
    # The person, asking with their own token, finds nothing; a new access request holds nothing.
    mine = await world.client.get(
        f"{API}/programs/{w['program']['id']}/intakes", headers=world.person(person_id)
    )
    assert (mine.json()["items"], mine.json()["total"]) == ([], 0)
    access = await _receipt(world, (await _open(world, person_id, "access"))["id"])
    assert (access["outcome"], access["records"]) == ("nothing_held", 0)


async def test_erasure_of_a_provider_leaves_the_pool(committed_world: Any) -> None:
    world = committed_world
    program = await world.program()
    coach = await world.coach(program)
    person_id = coach["person_id"]
    # The same person also registered as a mentor, never ranked: that profile is simply deleted.
    idle = await world.mentor(program, person_id=person_id)
    participant = await world.intake(program)
    match = await _approve(world, await world.proposal(participant))
    reporting = await world.intake(program, manager_chain=[person_id, str(uuid.uuid4())])
    waiting = await world.proposal(await world.intake(program))
    # Analytics' outcomes for both profiles: ratings and completion are about the person too.
    computed = datetime.now(UTC) - timedelta(hours=1)
    for profile in (coach, idle):
        assert await _outcomes(world, profile, computed_at=computed) is True
    assert await _outcome_rows(world, coach, idle) == 2

    receipt = await _receipt(world, (await _open(world, person_id, "erasure"))["id"])

    # 5 rows as before, the person's 8 pieces of training evidence (3 as a coach, 5 as a mentor) and
    # the 2 profiles' outcomes.
    assert (receipt["outcome"], receipt["records"]) == ("completed", 15)
    assert "2 provider outcome(s)" in receipt["detail"]
    async with sessionmaker_of(world.app)() as session:
        evidence = await session.scalars(
            select(TrainingEvidence.id).where(TrainingEvidence.person_id == uuid.UUID(person_id))
        )
        assert evidence.all() == []
    assert await _outcome_rows(world, coach, idle) == 0
    # Outcomes analytics computed before its own erasure arrive late: the kept profile (now a
    # stand-in's) and the deleted one get nothing back.
    for profile in (coach, idle):
        assert await _outcomes(world, profile, computed_at=datetime.now(UTC)) is True
    assert await _outcome_rows(world, coach, idle) == 0
    await _get(world, f"/providers/{idle['id']}", status=404)
    kept = await _get(world, f"/providers/{coach['id']}")
    stand_in = kept["person_id"]
    assert stand_in != person_id
    assert (kept["skills"], kept["working_hours"], kept["languages"], kept["timezone"]) == ({}, [], [], "UTC")
    # Its match ended with it (withdrawn); with no credentials and no capacity it leaves the pool.
    assert (kept["capacity"], kept["active_load"], kept["eligible"]) == (0, 0, False)
    assert (await _get(world, f"/matches/{match['id']}"))["status"] == "ended"
    eligibility = await _get(world, f"/providers/{coach['id']}/eligibility")
    assert (eligibility["calibration_median"], eligibility["rating_median"]) == (None, None)
    assert eligibility["reasons"] == [
        "no_calibration_panel",
        "coach_demo_review_missing",
        "coach_co_coaching_session_missing",
        "calibration_review_missing",
        "recertification_missing",
    ]
    [announced] = [
        e["data"]
        for e in await world.outbox("ProviderEligibilityChanged")
        if e["data"]["provider_id"] == coach["id"]
    ]
    assert (announced["person_id"], announced["eligible"]) == (stand_in, False)
    assert (await _get(world, f"/matches/{match['id']}"))["provider_person_id"] == stand_in
    async with sessionmaker_of(world.app)() as session:  # the chain is not part of the read API
        chain = await session.scalar(
            select(Intake.manager_chain).where(Intake.id == uuid.UUID(reporting["id"]))
        )
    assert chain[0] == stand_in
    assert person_id not in chain
    # A proposal made before the erasure can no longer be approved to the erased provider: its
    # stand-in id holds no `matching` consent (and it has no capacity left either).
    resp = await world.client.post(f"{API}/proposals/{waiting['id']}/approve", json={}, headers=world.headers)
    assert (resp.status_code, resp.json()["type"]) == (
        409,
        "https://tandem.dev/problems/provider-consent-required",
    )
    # No new proposal ranks the erased provider; a fresh coach is proposed instead.
    fresh = await world.coach(program)
    newcomer = await world.intake(program)
    proposal = await world.proposal(newcomer)
    assert [c["provider_id"] for c in proposal["candidates"]] == [fresh["id"]]


async def test_outcomes_racing_a_providers_erasure_wait_and_are_dropped(committed_world: Any) -> None:
    """The event names the provider row, not the person, so the guard in front of every consumer
    cannot see it is about them; the consumer takes the person's erasure lock itself."""
    world = committed_world
    program = await world.program()
    coach = await world.coach(program)
    person_id = uuid.UUID(coach["person_id"])
    key = world.app.state.settings.internal_secret
    erasing, may_commit = asyncio.Event(), asyncio.Event()

    async def erase() -> None:
        async with sessionmaker_of(world.app)() as session, session.begin():
            await lock_for_erasure(session, person_id, key=key)
            erasing.set()
            await may_commit.wait()
            await privacy.erase_person(session, person_id, key=key)
            await forget_person(session, person_id, key=key)

    erasure = asyncio.create_task(erase())
    await erasing.wait()
    late = asyncio.create_task(_outcomes(world, coach, computed_at=datetime.now(UTC)))
    done, _ = await asyncio.wait({late}, timeout=0.5)
    assert done == set()  # it waits for the erasure instead of writing first
    may_commit.set()
    await erasure
    assert await late is True
    assert await _outcome_rows(world, coach) == 0
    await _get(world, f"/providers/{coach['id']}", status=404)  # never ranked: the profile went too


async def test_erasure_keeps_an_ended_matchs_reason_and_drops_its_note(committed_world: Any) -> None:
    world = committed_world
    program = await world.program()
    await world.coach(program)
    person = await world.intake(program)
    match = await _approve(world, await world.proposal(person))
    resp = await world.client.post(
        f"{API}/matches/{match['id']}/end",
        json={"reason": "withdrawn", "note": "Private: left for family reasons"},
        headers=world.headers,
    )
    assert resp.status_code == 200, resp.text

    receipt = await _receipt(world, (await _open(world, person["person_id"], "erasure"))["id"])

    # De-identified: the intake, the proposal the match came from, the match, two audit entries.
    assert (receipt["outcome"], receipt["records"]) == ("completed", 5)
    ended = await _get(world, f"/matches/{match['id']}")
    assert ended["participant_id"] != person["person_id"]
    assert (ended["status"], ended["end_reason"]) == ("ended", "withdrawn")
    decisions = (await _get(world, f"/programs/{program['id']}/decisions"))["items"]
    assert [(d["action"], d["reason"], d["details"]) for d in decisions if d["action"] == "ended"] == [
        ("ended", "withdrawn", {})
    ]


async def test_replayed_erasure_is_applied_once(committed_world: Any) -> None:
    world = committed_world
    w = await _participant_world(world)
    request = await _open(world, w["person"]["person_id"], "erasure")
    first = await _receipt(world, request["id"])
    stand_in = (await _get(world, f"/matches/{w['match']['id']}"))["participant_id"]
    [consumer] = [c for c in world.app.state.consumers if c.sub.name == CONSUMER]
    envelope = await _envelope(world, request["id"])

    assert await consumer.apply(envelope) is False
    assert await consumer.apply(envelope) is False
    # Even run again past the dedup marker (a redelivery after a lost commit), nothing changes.
    async with sessionmaker_of(world.app)() as session, session.begin():
        await consumer.sub.handler(session, envelope)

    receipts = (await _consent(world, "GET", f"{REQUESTS}/{request['id']}"))["receipts"]
    assert [(r["service"], r["records"]) for r in receipts if r["service"] == "matching"] == [
        ("matching", first["records"])
    ]
    assert (await _get(world, f"/matches/{w['match']['id']}"))["participant_id"] == stand_in


async def test_request_not_listing_matching_is_ignored(
    committed_world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = committed_world
    intake = await world.intake(await world.program(), consent=False)
    monkeypatch.setattr(world.consent_app.state.settings, "dsr_services", ["consent"])

    request = await _open(world, intake["person_id"], "erasure")
    event_id = (await _envelope(world, request["id"])).id

    async def seen() -> bool:
        async with sessionmaker_of(world.app)() as session:
            marker = await session.scalar(
                select(processed_events.c.event_id).where(
                    processed_events.c.event_id == event_id, processed_events.c.consumer == CONSUMER
                )
            )
        return marker is not None

    await eventually(seen, timeout=20)
    answered = await _consent(world, "GET", f"{REQUESTS}/{request['id']}")
    assert [r["service"] for r in answered["receipts"]] == ["consent"]
    kept = await _get(world, f"/intakes/{intake['id']}")
    assert (kept["person_id"], kept["behavioural_goals"]) == (intake["person_id"], ["stakeholder_management"])


async def test_consent_unreachable_rolls_the_erasure_back(committed_world: Any) -> None:
    world = committed_world
    intake = await world.intake(await world.program(), consent=False)
    event = DataSubjectRequestOpened(
        request_id=uuid.uuid4(),
        person_id=uuid.UUID(intake["person_id"]),
        kind="erasure",
        due_at=datetime.now(UTC) + timedelta(days=30),
        services=["consent", "matching"],
    )
    envelope = EventEnvelope(
        id=uuid.uuid4(),
        type="DataSubjectRequestOpened",
        source="consent",
        occurred_at=datetime.now(UTC),
        data=event.model_dump(mode="json"),
    )
    closed = ServiceClient(
        "http://127.0.0.1:9",
        StaticToken(
            lambda: world.keys.token(
                "consent:read", "consent:receipt", sub="matching", client_name="matching"
            )
        ),
        timeout=0.2,
    )
    consumer = EventConsumer(
        world.app.state.broker,
        sessionmaker_of(world.app),
        privacy.subscription(closed, erasure_key=SecretStr("dev")),
    )
    try:
        with pytest.raises(httpx.TransportError):
            await consumer.apply(envelope)
    finally:
        await closed.aclose()

    kept = await _get(world, f"/intakes/{intake['id']}")
    assert (kept["person_id"], kept["behavioural_goals"]) == (intake["person_id"], ["stakeholder_management"])
    # The dedup marker rolled back with the work: the redelivered event will be applied.
    async with sessionmaker_of(world.app)() as session:
        marker = await session.scalar(
            select(processed_events.c.event_id).where(processed_events.c.event_id == envelope.id)
        )
    assert marker is None


async def test_directory_facts_are_exported_and_erased(committed_world: Any, hr: Any) -> None:
    """The directory projection is personal data: exported on access, deleted on erasure, and the
    person's reports keep one stand-in manager (conflict checks still see who shares a manager)."""
    world = committed_world
    person, report = uuid.uuid4(), uuid.uuid4()
    at = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    await hr.publish("PersonProvisioned", hr.provisioned(person, at=at, level="L6", level_rank=6))
    await hr.publish("PersonProvisioned", hr.provisioned(report, at=at, manager_id=person))

    request = await _open(world, str(person), "access")
    access = await _receipt(world, request["id"])
    assert (access["outcome"], access["records"]) == ("completed", 1)
    export = (await _consent(world, "GET", f"{REQUESTS}/{request['id']}/export"))["services"]["matching"]
    assert [(d["level"], d["level_rank"], d["active"]) for d in export["directory facts"]] == [
        ("L6", 6, True)
    ]

    erased = await _receipt(world, (await _open(world, str(person), "erasure"))["id"])
    assert erased["detail"] == (
        "Deleted 0 intake(s), 0 proposal(s), 0 ranked candidate(s), 0 provider profile(s), "
        "0 training evidence, 1 directory fact row(s); de-identified 0 intake(s), 0 proposal(s), 0 provider profile(s), "
        "0 match(es), 0 audit entr(ies), 0 other people's manager chain(s), "
        "1 other people's directory manager link(s)."
    )
    async with world.app.state.database.sessionmaker() as session:
        gone = await session.scalar(select(DirectoryPerson).where(DirectoryPerson.person_id == person))
        kept = await session.scalar(select(DirectoryPerson).where(DirectoryPerson.person_id == report))
    assert gone is None
    assert kept is not None
    assert kept.manager_id not in (None, person)
