"""Seed rules (issue 15 item 8), each from the seeds, through the real REST API: a provider's sensitive
role makes a match high political risk; C-suite transitions and high-stakes performance cases rank
external coaches only; programs accept intakes only for the tracks they run."""

from typing import Any

import pytest

from tandem_matching.intake.domain import Track, is_high_political_risk, needs_external_coach, offers

API = "/api/v1/matching"


@pytest.mark.parametrize(
    ("flags", "sensitive", "expected"),
    [
        ((), False, False),
        ((), True, True),
        (("platform_lead",), False, True),
        (("budget_authority",), True, True),
    ],
    ids=["neither", "provider-sensitive", "participant-flagged", "both"],
)
def test_high_political_risk_is_the_pairs(flags: tuple[str, ...], sensitive: bool, expected: bool) -> None:
    assert is_high_political_risk(flags, provider_sensitive_role=sensitive) is expected


@pytest.mark.parametrize(
    ("tracks", "offered"),
    [
        (("coaching",), {Track.COACH}),
        (("mentoring",), {Track.MENTOR}),
        (("coaching", "mentoring"), {Track.COACH, Track.MENTOR, Track.MENTOR_PLUS_COACHING}),
        (("dual_track",), {Track.COACH_THEN_MENTOR, Track.MENTOR_PLUS_COACHING}),
        (("coaching", "mentoring", "dual_track"), set(Track)),
    ],
    ids=["coaching", "mentoring", "coaching-mentoring", "dual", "all"],
)
def test_tracks_a_program_offers(tracks: tuple[str, ...], offered: set[Track]) -> None:
    assert {t for t in Track if offers(tracks, t)} == offered


def test_external_cases() -> None:
    assert [needs_external_coach(f) for f in ([], ["c_suite_transition"], ["high_stakes_performance"])] == [
        False,
        True,
        True,
    ]


async def test_a_sensitive_provider_is_never_auto_approved(world: Any) -> None:
    program = await world.program()
    coach = await world.coach(program, sensitive_role=True)
    person = await world.intake(program)

    resp = await world.client.post(
        f"{API}/proposals", json={"intake_id": person["id"], "auto_approve": True}, headers=world.headers
    )

    body = resp.json()
    assert (resp.status_code, body["rule"], body["provider_id"]) == (
        409,
        "provider-sensitive-role",
        coach["id"],
    )
    assert coach["sensitive_role"] is True


async def test_an_ordinary_provider_is_auto_approved(world: Any) -> None:
    program = await world.program()
    await world.coach(program)
    person = await world.intake(program)

    proposal = await world.proposal(person, auto_approve=True)

    assert proposal["status"] == "approved"


async def test_a_sensitive_provider_is_approved_by_hand(world: Any) -> None:
    program = await world.program()
    coach = await world.coach(program, sensitive_role=True)
    person = await world.intake(program)
    proposal = await world.proposal(person)

    match = await world.post(f"/proposals/{proposal['id']}/approve", {}, status=200)

    assert match["provider_id"] == coach["id"]


@pytest.mark.parametrize(
    "case", ["c_suite_transition", "high_stakes_performance"], ids=["c-suite", "high-stakes"]
)
async def test_external_cases_rank_external_coaches_only(world: Any, case: str) -> None:
    program = await world.program()
    internal = await world.coach(program, skills={"ml_engineering": 5, "data_platforms": 5})
    external = await world.coach(program, sourcing="external", skills={"ml_engineering": 2})
    person = await world.intake(program, case_flags=[case])

    proposal = await world.proposal(person)

    assert [c["provider_id"] for c in proposal["candidates"]] == [external["id"]]
    assert any(note.startswith("Only external coaches were ranked") for note in proposal["explanation"])
    assert internal["sourcing"] == "internal"


async def test_ordinary_intakes_rank_every_coach(world: Any) -> None:
    program = await world.program()
    internal = await world.coach(program, skills={"ml_engineering": 5, "data_platforms": 5})
    external = await world.coach(program, sourcing="external", skills={"ml_engineering": 2})
    person = await world.intake(program)

    proposal = await world.proposal(person)

    assert [c["provider_id"] for c in proposal["candidates"]] == [internal["id"], external["id"]]
    assert not any(note.startswith("Only external") for note in proposal["explanation"])


async def test_an_internal_coach_is_refused_for_an_external_case_even_by_override(world: Any) -> None:
    program = await world.program()
    internal = await world.coach(program)
    await world.coach(program, sourcing="external")
    person = await world.intake(program, case_flags=["c_suite_transition"])
    proposal = await world.proposal(person)

    resp = await world.client.post(
        f"{API}/proposals/{proposal['id']}/override",
        json={"provider_id": internal["id"], "reason": "the sponsor asked for them"},
        headers=world.headers,
    )

    assert resp.status_code == 409
    assert resp.json()["reasons"] == ["external_coach_required"]


async def test_a_program_refuses_an_intake_for_a_track_it_does_not_run(world: Any) -> None:
    program = await world.program(tracks=["coaching"])

    resp = await world.client.post(
        f"{API}/programs/{program['id']}/intakes",
        json={
            "person_id": "6d1b3a56-2c47-4c1c-9a57-0b7a4f1f3c10",
            "triggers": ["career_transition"],
            "timezone": "Europe/Berlin",
            "working_hours": [{"weekday": 0, "start": "09:00", "end": "17:00"}],
            "languages": ["en"],
        },
        headers=world.headers,
    )

    body = resp.json()
    assert (resp.status_code, body["track"], body["pointer"]) == (422, "mentor", "#/triggers")
    assert body["type"].endswith("/track-not-offered")


async def test_a_track_override_must_be_offered_too(world: Any) -> None:
    program = await world.program(tracks=["coaching"])
    person = await world.intake(program)

    resp = await world.client.post(
        f"{API}/intakes/{person['id']}/track-override",
        json={"track": "mentor", "reason": "career move"},
        headers=world.headers,
    )

    assert (resp.status_code, resp.json()["pointer"], resp.json()["track"]) == (422, "#/track", "mentor")


async def test_a_capacity_change_emits_its_event(world: Any) -> None:
    program = await world.program()
    coach = await world.coach(program)

    await world.client.patch(f"{API}/providers/{coach['id']}", json={"capacity": 10}, headers=world.headers)
    await world.client.patch(f"{API}/providers/{coach['id']}", json={"capacity": 10}, headers=world.headers)
    await world.client.patch(
        f"{API}/providers/{coach['id']}", json={"languages": ["en"]}, headers=world.headers
    )

    events = [
        e["data"]
        for e in await world.outbox("ProviderCapacityChanged")
        if e["data"]["provider_id"] == coach["id"]
    ]
    assert [(e["capacity"], e["kind"], e["person_id"], e["program_id"]) for e in events] == [
        (10, "coach", coach["person_id"], program["id"])
    ]
