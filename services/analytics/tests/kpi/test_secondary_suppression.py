"""Secondary suppression: a small group must not be recovered by subtracting two or more published
parts (programs, cohorts) from their published whole."""

import uuid
from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tandem_analytics.kpi import repository
from tandem_analytics.kpi.domain import Measure
from tandem_analytics.kpi.repository import Scope
from tandem_kit.testing import TestKeys

from .conftest import NOW, Facts, outcomes
from .test_catalog import build
from .test_snapshots import coaching, snapshot
from .test_targets_and_snapshots_api import seed_program

RATIO = "coach_to_coachee_ratio"
Q2, Q3, Q4 = timedelta(days=200), timedelta(days=120), timedelta(days=20)  # before NOW (2026-11-30)


async def programs(db: async_sessionmaker[AsyncSession], *sizes: int) -> list[uuid.UUID]:
    """One program per size, that many coachees on one coach each."""
    found = []
    for size in sizes:
        f = Facts(db)
        coaching(f, uuid.uuid4(), size)
        await f.save()
        found.append(f.program)
    return found


async def ratio(db: async_sessionmaker[AsyncSession], scope: Scope) -> tuple[str, float | None]:
    found = (await outcomes(db, scope))[RATIO]
    return found.status, found.value


async def test_all_minus_two_published_programs_attack_is_refused(
    db: async_sessionmaker[AsyncSession],
) -> None:
    a, b, c = await programs(db, 10, 12, 3)
    # All (25) minus A (10) is 15, minus B (12) is 13: each alone is safe, but all minus A minus B is
    # C's 3. A, the smaller published program, goes; all minus B is 13 people.
    assert await ratio(db, Scope(b)) == ("green", 12.0)
    assert await ratio(db, Scope(a)) == ("suppressed", None)
    assert await ratio(db, Scope(c)) == ("suppressed", None)
    assert await ratio(db, Scope()) == ("green", round(25 / 3, 4))
    # A's cohort is all of A: it goes with it; B's stands.
    assert await ratio(db, Scope(a, "2026-Q4")) == ("suppressed", None)
    assert await ratio(db, Scope(b, "2026-Q4")) == ("green", 12.0)


async def test_program_minus_two_published_cohorts_attack_is_refused(
    db: async_sessionmaker[AsyncSession],
) -> None:
    f, coach = Facts(db), uuid.uuid4()
    coaching(f, coach, 10, approved=Q2)
    coaching(f, coach, 12, approved=Q3)
    coaching(f, coach, 3, approved=Q4)
    await f.save()
    # The program (25) minus Q2 (10) minus Q3 (12) would be Q4's 3: Q2, the smaller, goes.
    assert await ratio(db, Scope(f.program, "2026-Q3")) == ("green", 12.0)
    assert await ratio(db, Scope(f.program, "2026-Q2")) == ("suppressed", None)
    assert await ratio(db, Scope(f.program, "2026-Q4")) == ("suppressed", None)
    assert await ratio(db, Scope(f.program)) == ("red", 25.0)  # published: 25 coachees on one coach


async def test_nothing_more_is_suppressed_when_no_part_is_small(db: async_sessionmaker[AsyncSession]) -> None:
    a, b, c = await programs(db, 10, 12, 6)
    assert [await ratio(db, Scope(p)) for p in (a, b, c)] == [
        ("green", 10.0),
        ("green", 12.0),
        ("green", 6.0),
    ]
    f, coach = Facts(db, program=c), uuid.uuid4()
    coaching(f, coach, 5, approved=Q3)
    await f.save()
    # C is 11 now: 6 in Q4, 5 in Q3 on a second coach; every cohort stands on its own.
    assert await ratio(db, Scope(c, "2026-Q3")) == ("green", 5.0)
    assert await ratio(db, Scope(c, "2026-Q4")) == ("green", 6.0)


async def test_snapshots_agree_with_live_reads_whichever_scope_comes_first(
    db: async_sessionmaker[AsyncSession],
) -> None:
    a, b, _ = await programs(db, 10, 12, 3)
    # The suppressed program is snapshotted first, the published one after: the same verdicts.
    taken_a = await snapshot(db, Scope(a), timedelta(0))
    taken_b = await snapshot(db, Scope(b), timedelta(0))
    taken_all = await snapshot(db, Scope(), timedelta(0))
    assert taken_a[RATIO] == ("suppressed", None) == await ratio(db, Scope(a))
    assert taken_b[RATIO] == ("green", 12.0) == await ratio(db, Scope(b))
    assert taken_all[RATIO] == ("green", round(25 / 3, 4)) == await ratio(db, Scope())


def _by_part(measured: dict[object, dict[str, Measure]]) -> dict[str, dict[object, int]]:
    found: dict[str, dict[object, int]] = {}
    for part, measures in measured.items():
        for name, measure in measures.items():
            if measure.population:
                found.setdefault(name, {})[part] = measure.population
    return found


async def test_part_populations_are_the_figures_own(db: async_sessionmaker[AsyncSession]) -> None:
    # Every KPI family (coaching, vendor outcomes, attendance, SLA, first session, matches, surveys)
    # in two programs; the first has two cohorts (p8, p9 in 2026-Q3, the rest in 2026-Q4).
    one, two = (await build(db)).program, (await build(db)).program
    cohorts = ("2026-Q3", "2026-Q4")
    scopes = [Scope(one), Scope(two), *(Scope(one, c) for c in cohorts)]
    async with db() as session:
        measured, (per_program, per_cohort) = await repository.measures(
            session, scopes, now=NOW, business_kpi="csat", parts_of=[None, one]
        )
    programs = _by_part({one: measured[0], two: measured[1]})
    assert len(programs) == 14  # every KPI about people but the network layer's SLA (no clock)
    assert {name: parts for name, parts in per_program.items() if parts} == programs
    assert {name: parts for name, parts in per_cohort.items() if parts} == _by_part(
        dict(zip(cohorts, measured[2:], strict=True))
    )
    assert per_cohort["attendance_rate"] == {"2026-Q4": 8}  # p0-p5 in the ledger, p6, p7 by vendor


async def test_the_attack_over_http(
    app: FastAPI, client: httpx.AsyncClient, keys: TestKeys, kpis_alone: None
) -> None:
    a, b, c = [await seed_program(app, coachees) for coachees in (10, 12, 3)]

    async def ratio(**params: str) -> tuple[bool, float | None]:
        resp = await client.get(
            f"/api/v1/analytics/kpis/{RATIO}", params=params, headers=keys.headers("analytics:read")
        )
        assert resp.status_code == 200
        return resp.json()["suppressed"], resp.json()["value"]

    # All (25) minus B (12) is 13 people: A (10) would have left C's 3.
    assert await ratio() == (False, round(25 / 3, 4))
    assert await ratio(program_id=str(b)) == (False, 12.0)
    assert await ratio(program_id=str(a)) == (True, None)
    assert await ratio(program_id=str(c)) == (True, None)


async def test_every_figure_about_people_knows_who_they_are(db: async_sessionmaker[AsyncSession]) -> None:
    """Each KPI family fingerprints its population (`repository.fingerprint`): the same people give
    the same number on every read; a program built alike, with as many other people, another."""
    one, two = (await build(db)).program, (await build(db)).program
    async with db() as session:
        (first, again, other), _ = await repository.measures(
            session, [Scope(one), Scope(one), Scope(two)], now=NOW, business_kpi="csat"
        )
    about_people = {name for name, m in first.items() if m.population}
    assert len(about_people) == 14  # as in test_part_populations_are_the_figures_own
    for name in about_people:
        assert first[name].members is not None, name
        assert first[name].members == again[name].members, name
        assert other[name].population == first[name].population, name
        assert other[name].members != first[name].members, name
