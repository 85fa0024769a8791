from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from tandem_kit.testing import TestKeys, sessionmaker_of
from tandem_scheduling.models import Checkpoint, SlaClock


def url(program: str) -> str:
    return f"/api/v1/scheduling/programs/{program}/sla-policies"


def pm(keys: TestKeys, *scopes: str) -> dict[str, str]:
    person = str(uuid4())
    return keys.headers(*scopes, sub=person, person_id=person, roles=["program_manager"])


async def test_anonymous(client: httpx.AsyncClient) -> None:
    assert (await client.get(url(str(uuid4())))).status_code == 401


async def test_missing_scope(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.put(url(str(uuid4())), json={"policies": []}, headers=keys.headers("scheduling:read"))
    assert resp.status_code == 403


async def test_seed_defaults_per_layer(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.get(url(str(uuid4())), headers=keys.headers("scheduling:read"))
    assert resp.status_code == 200
    assert [
        (p["layer"], p["kickoff_days"], p["next_session_days"], p["attendance_floor"], p["configured"])
        for p in resp.json()
    ] == [
        ("coaching", 7, 21, 0.8, False),
        ("mentoring", 7, 35, 0.8, False),
        ("network", 7, 35, 0.8, False),
    ]


async def test_a_participant_may_not_set_them(client: httpx.AsyncClient, keys: TestKeys) -> None:
    person = str(uuid4())
    resp = await client.put(
        url(str(uuid4())),
        json={"policies": [{"layer": "coaching", "kickoff_days": 3, "next_session_days": 10}]},
        headers=keys.headers("scheduling:read", "scheduling:write", sub=person, person_id=person),
    )
    assert resp.status_code == 403
    assert resp.json()["type"].endswith("sla-policy-forbidden")


async def test_reviews_are_coaching_only(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.put(
        url(str(uuid4())),
        json={
            "policies": [
                {"layer": "mentoring", "kickoff_days": 7, "next_session_days": 30, "review_every_weeks": 4}
            ]
        },
        headers=pm(keys, "scheduling:write"),
    )
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["pointer"] == "#/policies/0"
    out_of_range = await client.put(
        url(str(uuid4())),
        json={
            "policies": [
                {"layer": "coaching", "kickoff_days": 7, "next_session_days": 30, "review_every_weeks": 8}
            ]
        },
        headers=pm(keys, "scheduling:write"),
    )
    assert out_of_range.json()["errors"][0]["pointer"] == "#/policies/0/review_every_weeks"


async def test_a_programs_policy_shapes_new_engagements(
    app: FastAPI, client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any
) -> None:
    program = str(uuid4())
    resp = await client.put(
        url(program),
        json={
            "policies": [
                {"layer": "coaching", "kickoff_days": 3, "next_session_days": 14, "review_every_weeks": 4},
            ]
        },
        headers=pm(keys, "scheduling:write"),
    )
    assert resp.status_code == 200
    assert [(p["layer"], p["kickoff_days"], p["configured"]) for p in resp.json()] == [
        ("coaching", 3, True),
        ("mentoring", 7, False),
        ("network", 7, False),
    ]
    approved = datetime(2027, 1, 4, 15, 0, tzinfo=UTC)
    engagement = await make_engagement(program_id=program, approved_at=approved.isoformat())
    async with sessionmaker_of(app)() as session:
        kickoff = await session.scalar(
            select(SlaClock.due_at).where(
                SlaClock.engagement_id == engagement.id, SlaClock.kind == "kickoff_held"
            )
        )
        reviews = (
            await session.scalars(select(Checkpoint.due_at).where(Checkpoint.engagement_id == engagement.id))
        ).all()
    assert kickoff == approved + timedelta(days=3)
    # A 3-month coaching sprint reviewed every 4 weeks: three reviews (weeks 4, 8, 12).
    assert len(reviews) == 3
