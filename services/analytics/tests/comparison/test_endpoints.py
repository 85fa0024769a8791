"""The matched comparison through the API, over directory facts written by hand with a planted effect."""

import uuid
from datetime import UTC, date, datetime
from typing import Any

import httpx
import numpy as np
import pytest
from fastapi import FastAPI

from tandem_analytics.models import (
    BusinessKpiValue,
    ConsentPeriod,
    JobFact,
    MatchFact,
    PersonFact,
    PromotionFact,
)
from tandem_kit.testing import TestKeys, sessionmaker_of

API = "/api/v1/analytics/programs"
WINDOW = {"since": "2026-01-01", "until": "2027-01-01"}
PEOPLE = 600
EFFECT = 0.3


def at(day: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), datetime.min.time(), UTC)


def match(program: uuid.UUID, person: uuid.UUID, approved: str) -> MatchFact:
    return MatchFact(
        match_id=uuid.uuid4(),
        program_id=program,
        participant_id=person,
        provider_id=uuid.uuid4(),
        provider_kind="coach",
        track="coach",
        approved_at=at(approved),
    )


async def population(app: FastAPI, client: httpx.AsyncClient, keys: TestKeys) -> dict[str, Any]:
    """600 people. Senior people join program A far more often and are promoted more often anyway;
    program A adds EFFECT to its participants' promotion chance. Program B's participants are drawn
    the same confounded way but it does nothing."""
    rng = np.random.default_rng(2026)
    a, b = uuid.uuid4(), uuid.uuid4()
    people = [uuid.uuid4() for _ in range(PEOPLE)]
    level = rng.integers(1, 4, PEOPLE)
    department = rng.choice(["eng", "sales"], PEOPLE)
    complexity = rng.choice(["low", "high"], PEOPLE)
    tenure_years = rng.choice([0, 2, 7], PEOPLE)
    joins_a = rng.random(PEOPLE) < 0.1 + 0.25 * (level - 1)
    joins_b = rng.random(PEOPLE) < 0.1 + 0.25 * (level - 1)
    promoted = rng.random(PEOPLE) < 0.05 + 0.15 * (level - 1) + np.where(joins_a, EFFECT, 0.0)
    consenting = np.arange(PEOPLE) >= 10  # the first ten never granted analytics consent
    rows: list[Any] = []
    for i, person in enumerate(people):
        rows.append(
            JobFact(
                person_id=person,
                valid_from=at("2025-01-01"),
                level=f"L{level[i]}",
                level_rank=int(level[i]),
                department=str(department[i]),
            )
        )
        rows.append(
            PersonFact(
                person_id=person,
                hire_date=date(2025 - int(tenure_years[i]), 6, 1),
                active=True,
                active_since=at("2020-01-01"),
            )
        )
        if consenting[i]:
            rows.append(ConsentPeriod(person_id=person, granted_from=at("2025-01-01"), granted_until=None))
        if promoted[i]:
            rows.append(
                PromotionFact(person_id=person, promoted_at=at("2026-06-01"), from_level="x", to_level="y")
            )
        if joins_a[i]:
            rows.append(match(a, person, "2026-01-10"))
        if joins_b[i]:
            rows.append(match(b, person, "2026-01-10"))
    late = next(i for i in range(10, PEOPLE) if not joins_a[i])
    rows.append(match(a, people[late], "2027-03-01"))  # joined after the window: in neither group
    for region, change in (
        ("emea", 5.0),
        ("apac", 6.0),
        ("na", 4.5),
        ("latam", 1.0),
        ("anz", 0.5),
        ("mea", 1.5),
    ):
        for period, value in (("2025-Q4", 70.0), ("2026-Q4", 70.0 + change)):
            rows.append(
                BusinessKpiValue(
                    program_id=a,
                    kpi_name="csat",
                    period=period,
                    segment_kind="region",
                    segment=region,
                    value=value,
                    imported_by="test",
                )
            )
    async with sessionmaker_of(app)() as session, session.begin():
        session.add_all(rows)
    writer = keys.headers("analytics:write")
    for program in (a, b):
        bands = [{"person_id": str(p), "band": str(complexity[i])} for i, p in enumerate(people)]
        resp = await client.put(f"{API}/{program}/complexity-bands", json={"bands": bands}, headers=writer)
        assert resp.status_code == 200, resp.text
        assert resp.json() == {"updated": PEOPLE}
    in_a = consenting & joins_a
    return {
        "a": a,
        "b": b,
        "participants_a": int(in_a.sum()),
        "pool_a": int((consenting & ~joins_a).sum()) - 1,
        "naive_a": float(promoted[in_a].mean() - promoted[consenting & ~joins_a].mean()),
        "naive_b": float(promoted[consenting & joins_b].mean() - promoted[consenting & ~joins_b].mean()),
    }


@pytest.fixture
async def world(app: FastAPI, client: httpx.AsyncClient, keys: TestKeys) -> dict[str, Any]:
    return await population(app, client, keys)


async def test_anonymous(client: httpx.AsyncClient) -> None:
    resp = await client.post(f"{API}/{uuid.uuid4()}/comparisons", json=WINDOW)

    assert resp.status_code == 401


async def test_setting_bands_needs_write(client: httpx.AsyncClient, keys: TestKeys) -> None:
    body = {"bands": [{"person_id": str(uuid.uuid4()), "band": "high"}]}

    resp = await client.put(
        f"{API}/{uuid.uuid4()}/complexity-bands", json=body, headers=keys.headers("analytics:read")
    )

    assert resp.status_code == 403


async def test_a_window_that_ends_before_it_starts_is_refused(
    client: httpx.AsyncClient, keys: TestKeys
) -> None:
    resp = await client.post(
        f"{API}/{uuid.uuid4()}/comparisons",
        json={"since": "2026-01-01", "until": "2025-01-01"},
        headers=keys.headers("analytics:read"),
    )

    assert resp.status_code == 422
    assert resp.json()["errors"][0]["pointer"] == "#/until"


async def test_the_planted_effect_on_promotion_is_recovered(
    client: httpx.AsyncClient, keys: TestKeys, world: dict[str, Any]
) -> None:
    resp = await client.post(
        f"{API}/{world['a']}/comparisons",
        json={
            **WINDOW,
            "kpi": {
                "name": "csat",
                "segment_kind": "region",
                "participant_segments": ["emea", "apac", "na"],
                "baseline_period": "2025-Q4",
                "follow_up_period": "2026-Q4",
            },
        },
        headers=keys.headers("analytics:read"),
    )

    assert resp.status_code == 200, resp.text
    body = resp.json()
    promotion = body["promotion"]
    assert promotion["status"] == "ok"
    assert (promotion["participants"], promotion["comparison_pool"]) == (
        world["participants_a"],
        world["pool_a"],
    )
    assert promotion["ci_low"] <= EFFECT <= promotion["ci_high"]
    assert promotion["ci_low"] > 0
    # The naive difference is inflated by seniority; matching brings it back towards the truth.
    assert abs(promotion["effect"] - EFFECT) < abs(world["naive_a"] - EFFECT)
    assert body["covariates"] == ["role_level", "department", "tenure_band", "complexity_band"]
    kpi = body["business_kpi"]
    assert (kpi["participant_segments"], kpi["comparison_segments"]) == (3, 3)
    assert (kpi["participant_value"], kpi["comparison_value"]) == (
        pytest.approx(15.5 / 3),
        pytest.approx(1.0),
    )
    assert kpi["effect"] == pytest.approx(15.5 / 3 - 1.0)
    assert 0 < kpi["ci_low"] < kpi["effect"] < kpi["ci_high"]


async def test_a_program_that_does_nothing_covers_zero(
    client: httpx.AsyncClient, keys: TestKeys, world: dict[str, Any]
) -> None:
    resp = await client.post(
        f"{API}/{world['b']}/comparisons", json=WINDOW, headers=keys.headers("analytics:read")
    )

    promotion = resp.json()["promotion"]
    assert world["naive_b"] > 0.1  # what an unmatched comparison would claim
    assert promotion["ci_low"] <= 0.0 <= promotion["ci_high"]
    assert resp.json()["business_kpi"] is None


async def test_a_small_group_is_suppressed(app: FastAPI, client: httpx.AsyncClient, keys: TestKeys) -> None:
    program = uuid.uuid4()
    rows: list[Any] = []
    for i in range(30):
        person = uuid.uuid4()
        rows += [
            JobFact(
                person_id=person, valid_from=at("2025-01-01"), level="L1", level_rank=1, department="eng"
            ),
            ConsentPeriod(person_id=person, granted_from=at("2025-01-01"), granted_until=None),
        ]
        if i < 3:
            rows.append(match(program, person, "2026-02-01"))
    async with sessionmaker_of(app)() as session, session.begin():
        session.add_all(rows)

    resp = await client.post(
        f"{API}/{program}/comparisons", json=WINDOW, headers=keys.headers("analytics:read")
    )

    promotion = resp.json()["promotion"]
    assert promotion["status"] == "suppressed"
    assert (promotion["participants"], promotion["matched_participants"]) == (None, None)
    assert (promotion["effect"], promotion["ci_low"], promotion["participant_value"]) == (None, None, None)
    assert promotion["comparison_pool"] >= 27


async def test_a_person_sees_only_their_own_band(client: httpx.AsyncClient, keys: TestKeys) -> None:
    program, me = uuid.uuid4(), uuid.uuid4()
    bands = [{"person_id": str(me), "band": "high"}, {"person_id": str(uuid.uuid4()), "band": "low"}]
    await client.put(
        f"{API}/{program}/complexity-bands", json={"bands": bands}, headers=keys.headers("analytics:write")
    )

    mine = await client.get(
        f"{API}/{program}/complexity-bands", headers=keys.headers("analytics:read", person_id=str(me))
    )
    everyone = await client.get(f"{API}/{program}/complexity-bands", headers=keys.headers("analytics:read"))

    assert mine.json()["items"] == [{"person_id": str(me), "band": "high"}]
    assert everyone.json()["total"] == 2
