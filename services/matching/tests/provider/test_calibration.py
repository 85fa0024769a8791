"""Calibration records (issue 15 item 7): panel, date and LMS evidence, counted as the calibration
review gate; through the real REST API and matching's own evidence consumer."""

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from tandem_kit.testing import TestKeys
from tandem_matching.eligibility import CO_COACHING, DEMO_REVIEW

API = "/api/v1/matching"
PANEL_SCORES = [
    {
        "challenge_skill": 5,
        "behavioural_tools": 4,
        "confidentiality_practice": 5,
        "context_fluency": 4,
        "measurable_outcomes": 4,
    }
] * 2


async def _evidence_ids(world: Any, coach: dict[str, Any]) -> list[str]:
    resp = await world.client.get(f"{API}/providers/{coach['id']}/eligibility", headers=world.headers)
    return [e["evidence_id"] for g in resp.json()["gates"] for e in g["evidence"] if g["name"] == DEMO_REVIEW]


async def _record(world: Any, coach: dict[str, Any], body: dict[str, Any], *, status: int = 201) -> Any:
    resp = await world.client.post(
        f"{API}/providers/{coach['id']}/calibration-records", json=body, headers=world.headers
    )
    assert resp.status_code == status, resp.text
    return resp.json()


async def test_anonymous(client: httpx.AsyncClient) -> None:
    resp = await client.post(f"{API}/providers/{uuid.uuid4()}/calibration-records", json={})
    assert resp.status_code == 401


async def test_missing_scope(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.post(
        f"{API}/providers/{uuid.uuid4()}/calibration-records", json={}, headers=keys.headers("matching:read")
    )
    assert (resp.status_code, resp.json()["missing_scopes"]) == (403, ["matching:write"])


async def test_someone_elses_coach_not_found(world: Any) -> None:
    program = await world.program()
    coach = await world.coach(program)
    other = uuid.uuid4()
    resp = await world.client.get(
        f"{API}/providers/{coach['id']}/calibration-records", headers=world.person(other, "matching:read")
    )
    assert (resp.status_code, resp.json()["type"].rsplit("/", 1)[-1]) == (404, "provider-not-found")


async def test_a_record_counts_as_the_calibration_review(world: Any) -> None:
    program = await world.program()
    coach = await world.coach(program, trained=[DEMO_REVIEW, CO_COACHING])
    assert (coach["eligible"], coach["ineligible_reasons"]) == (False, ["calibration_review_missing"])
    panel = [str(uuid.uuid4()), str(uuid.uuid4())]
    evidence = await _evidence_ids(world, coach)
    held_on = (datetime.now(UTC) - timedelta(days=3)).date()

    record = await _record(
        world,
        coach,
        {"held_on": held_on.isoformat(), "panel": panel, "evidence_ids": evidence, "scores": PANEL_SCORES},
    )

    assert (record["panel"], record["evidence_ids"], record["held_on"]) == (
        panel,
        evidence,
        held_on.isoformat(),
    )
    after = (
        await world.client.get(f"{API}/providers/{coach['id']}/eligibility", headers=world.headers)
    ).json()
    [review] = [g for g in after["gates"] if g["name"] == "calibration_review"]
    assert (after["eligible"], review["status"]) == (True, "met")
    assert review["evidence"][0]["statement_id"] == f"calibration-record:{record['id']}"
    assert after["calibration_median"] == 4.4
    listed = await world.client.get(
        f"{API}/providers/{coach['id']}/calibration-records", headers=world.headers
    )
    assert [(r["id"], r["scores"]) for r in listed.json()["items"]] == [(record["id"], PANEL_SCORES)]


async def test_a_record_older_than_a_quarter_has_lapsed(world: Any) -> None:
    program = await world.program()
    coach = await world.coach(program, trained=[DEMO_REVIEW, CO_COACHING])
    held_on = date.today() - timedelta(days=91)

    await _record(world, coach, {"held_on": held_on.isoformat(), "panel": [str(uuid.uuid4())]})

    after = (
        await world.client.get(f"{API}/providers/{coach['id']}/eligibility", headers=world.headers)
    ).json()
    assert (after["eligible"], after["reasons"]) == (False, ["calibration_review_lapsed"])


async def test_evidence_of_someone_else_is_refused_by_its_position(world: Any) -> None:
    program = await world.program()
    coach = await world.coach(program)
    other = await world.coach(program)
    theirs = await _evidence_ids(world, other)

    body = await _record(
        world,
        coach,
        {
            "held_on": date.today().isoformat(),
            "panel": [str(uuid.uuid4())],
            "evidence_ids": [*await _evidence_ids(world, coach), *theirs],
        },
        status=422,
    )

    assert (body["type"].rsplit("/", 1)[-1], body["pointer"]) == ("invalid-calibration", "#/evidence_ids/1")


async def test_the_coach_never_sits_on_their_own_panel(world: Any) -> None:
    program = await world.program()
    coach = await world.coach(program)

    body = await _record(
        world,
        coach,
        {"held_on": date.today().isoformat(), "panel": [str(uuid.uuid4()), coach["person_id"]]},
        status=422,
    )

    assert body["pointer"] == "#/panel/1"


async def test_a_future_date_is_refused(world: Any) -> None:
    program = await world.program()
    coach = await world.coach(program)
    tomorrow = date.today() + timedelta(days=2)

    body = await _record(
        world, coach, {"held_on": tomorrow.isoformat(), "panel": [str(uuid.uuid4())]}, status=422
    )

    assert body["pointer"] == "#/held_on"


async def test_mentors_are_not_calibrated(world: Any) -> None:
    program = await world.program()
    mentor = await world.mentor(program)

    body = await _record(
        world, mentor, {"held_on": date.today().isoformat(), "panel": [str(uuid.uuid4())]}, status=422
    )

    assert body["type"].endswith("/calibration-for-coaches-only")
