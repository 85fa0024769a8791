import uuid
from typing import Any

import httpx

from tandem_kit.testing import TestKeys

API = "/api/v1/matching"


async def test_anonymous(client: httpx.AsyncClient) -> None:
    assert (await client.get(f"{API}/providers/{uuid.uuid4()}/eligibility")).status_code == 401


async def test_missing_scope(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.get(f"{API}/providers/{uuid.uuid4()}", headers=keys.headers("scheduling:read"))
    assert resp.status_code == 403


async def test_register_emits_event(world: Any) -> None:
    program = await world.program()
    coach = await world.coach(program)
    assert coach["capacity"] == 15  # the program default: the seed's 1:15 target
    assert coach["eligible"] is True
    [event] = [
        e["data"] for e in await world.outbox("ProviderRegistered") if e["data"]["provider_id"] == coach["id"]
    ]
    assert event == {
        "provider_id": coach["id"],
        "person_id": coach["person_id"],
        "program_id": program["id"],
        "kind": "coach",
        "capacity": 15,
    }


async def test_mentor_capacity_above_three_refused(world: Any) -> None:
    program = await world.program()
    resp = await world.client.post(
        f"{API}/programs/{program['id']}/providers",
        json={
            "person_id": str(uuid.uuid4()),
            "kind": "mentor",
            "timezone": "UTC",
            "working_hours": [{"weekday": 0, "start": "09:00", "end": "12:00"}],
            "languages": ["en"],
            "capacity": 4,
        },
        headers=world.headers,
    )
    assert resp.status_code == 422
    assert resp.json()["pointer"] == "#/capacity"


async def test_bad_timezone_and_skill_name_fields(world: Any) -> None:
    program = await world.program()
    resp = await world.client.post(
        f"{API}/programs/{program['id']}/providers",
        json={
            "person_id": str(uuid.uuid4()),
            "kind": "coach",
            "timezone": "Mars/Olympus",
            "working_hours": [{"weekday": 0, "start": "09:00", "end": "12:00"}],
            "languages": ["en"],
            "skills": {"juggling": 3},
        },
        headers=world.headers,
    )
    assert resp.status_code == 422
    assert {e["pointer"] for e in resp.json()["errors"]} == {"#/timezone", "#/skills"}


async def test_coach_eligibility_reasons(world: Any) -> None:
    program = await world.program()
    weak = [
        {
            "challenge_skill": 3,
            "behavioural_tools": 4,
            "confidentiality_practice": 3,
            "context_fluency": 3,
            "measurable_outcomes": 3,
        }
    ]
    coach = await world.coach(program, calibration=weak, ratings=[3.0, 3.5, 4.0], trained=[])
    resp = await world.client.get(f"{API}/providers/{coach['id']}/eligibility", headers=world.headers)
    body = resp.json()
    assert {k: body[k] for k in ("eligible", "reasons", "calibration_median", "rating_median")} == {
        "eligible": False,
        "reasons": [
            "calibration_median_below_4",
            "coach_demo_review_missing",
            "coach_co_coaching_session_missing",
            "calibration_review_missing",
            "recertification_missing",
            "rating_median_below_4",
        ],
        "calibration_median": 3.2,
        "rating_median": 3.5,
    }
    assert body["completion_rate"] == 10 / 11
    assert body["override"] is None
    assert [(g["name"], g["status"], g["missing"], g["evidence"]) for g in body["gates"]] == [
        ("calibration_panel", "missing", "calibration_median_below_4", []),
        ("coach_demo_review", "missing", "coach_demo_review_missing", []),
        ("coach_co_coaching_session", "missing", "coach_co_coaching_session_missing", []),
        ("calibration_review", "missing", "calibration_review_missing", []),
        ("recertification", "missing", "recertification_missing", []),
    ]


async def test_typed_in_training_flags_are_refused(world: Any) -> None:
    program = await world.program()
    mentor = await world.mentor(program, trained=[])
    resp = await world.client.patch(
        f"{API}/providers/{mentor['id']}",
        json={"bias_awareness_trained": True, "curriculum_weeks_completed": 4},
        headers=world.headers,
    )
    assert resp.status_code == 422
    assert {e["pointer"] for e in resp.json()["errors"]} == {
        "#/bias_awareness_trained",
        "#/curriculum_weeks_completed",
    }


async def test_provider_sees_own_row_only(world: Any) -> None:
    program = await world.program()
    coach = await world.coach(program)
    own = world.person(coach["person_id"], roles=("coach",))
    assert (await world.client.get(f"{API}/providers/{coach['id']}", headers=own)).status_code == 200
    other = world.person(uuid.uuid4(), roles=("coach",))
    assert (
        await world.client.get(f"{API}/providers/{coach['id']}/eligibility", headers=other)
    ).status_code == 404
