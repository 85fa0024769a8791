"""The REST and GraphQL doors: targets (PUT), on-demand snapshots and history."""

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from tandem_analytics.models import ConsentPeriod, MatchFact
from tandem_kit.events import outbox_messages
from tandem_kit.testing import TestKeys, sessionmaker_of

BASE = "/api/v1/analytics"


def targets_url(program: uuid.UUID) -> str:
    return f"{BASE}/programs/{program}/kpi-targets"


async def seed_program(app: FastAPI, coachees: int = 6) -> uuid.UUID:
    program, coach, now = uuid.uuid4(), uuid.uuid4(), datetime.now(UTC)
    async with sessionmaker_of(app)() as session:
        for _ in range(coachees):
            person = uuid.uuid4()
            session.add(ConsentPeriod(person_id=person, granted_from=now - timedelta(days=30)))
            session.add(
                MatchFact(match_id=uuid.uuid4(), program_id=program, participant_id=person, provider_id=coach,
                          provider_kind="coach", track="coach", approved_at=now - timedelta(days=10))
            )  # fmt: skip
        # Inside the test's outer transaction (rolled back at the end).
        await session.commit()
    return program


async def test_targets_anonymous(client: httpx.AsyncClient) -> None:
    assert (await client.put(targets_url(uuid.uuid4()), json={})).status_code == 401


async def test_targets_missing_scope(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.put(targets_url(uuid.uuid4()), json={}, headers=keys.headers("analytics:read"))
    assert resp.status_code == 403


async def test_unknown_kpi_in_targets_names_the_field(client: httpx.AsyncClient, keys: TestKeys) -> None:
    body = {"targets": [{"name": "coach_utilization"}, {"name": "happiness", "target_12m": 1}]}
    resp = await client.put(targets_url(uuid.uuid4()), json=body, headers=keys.headers("analytics:write"))
    assert resp.status_code == 422
    assert resp.headers["content-type"] == "application/problem+json"
    assert resp.json()["errors"][0]["pointer"] == "#/targets/1/name"


@pytest.mark.usefixtures("kpis_alone")
async def test_targets_override_changes_status(
    app: FastAPI, client: httpx.AsyncClient, keys: TestKeys
) -> None:
    program = await seed_program(app)
    started = (datetime.now(UTC) - timedelta(days=400)).date().isoformat()
    body = {
        "started_on": started,
        "amber_band": 0.2,
        "business_kpi": "quota_attainment",
        "targets": [{"name": "coach_to_coachee_ratio", "baseline": 10, "target_6m": 6, "target_12m": 5}],
    }
    resp = await client.put(targets_url(program), json=body, headers=keys.headers("analytics:write"))
    assert resp.status_code == 200, resp.text
    got = resp.json()
    assert (got["started_on"], got["amber_band"], got["business_kpi"]) == (started, 0.2, "quota_attainment")
    ratio = next(t for t in got["targets"] if t["name"] == "coach_to_coachee_ratio")
    assert ratio == {"name": "coach_to_coachee_ratio", "baseline": 10, "target_6m": 6, "target_12m": 5,
                     "amber_band": 0.2}  # fmt: skip

    kpi = (
        await client.get(
            f"{BASE}/kpis/coach_to_coachee_ratio",
            params={"program_id": str(program)},
            headers=keys.headers("analytics:read"),
        )
    ).json()
    # 6 coachees on one coach against 5: the band is 20 % of 10 -> 5 = 1, so 6 is amber.
    assert (kpi["value"], kpi["target"], kpi["status"], kpi["meets_target"]) == (6.0, 5, "amber", False)


async def test_snapshot_anonymous_and_missing_scope(client: httpx.AsyncClient, keys: TestKeys) -> None:
    assert (await client.post(f"{BASE}/snapshots", json={})).status_code == 401
    resp = await client.post(f"{BASE}/snapshots", json={}, headers=keys.headers("analytics:read"))
    assert resp.status_code == 403


async def test_cohort_needs_a_program(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.post(
        f"{BASE}/snapshots", json={"cohort": "2026-Q4"}, headers=keys.headers("analytics:write")
    )
    assert resp.status_code == 422
    assert resp.json()["parameter"] == "cohort"


@pytest.mark.usefixtures("kpis_alone")
async def test_snapshot_and_history(app: FastAPI, client: httpx.AsyncClient, keys: TestKeys) -> None:
    program = await seed_program(app)
    resp = await client.post(
        f"{BASE}/snapshots", json={"program_id": str(program)}, headers=keys.headers("analytics:write")
    )
    assert resp.status_code == 201, resp.text
    snapshot = resp.json()
    assert (snapshot["program_id"], snapshot["trigger"], len(snapshot["kpis"])) == (
        str(program),
        "on_demand",
        16,
    )
    assert {"name": "coach_to_coachee_ratio", "value": 6.0, "status": "green"} in snapshot["kpis"]
    async with sessionmaker_of(app)() as session:
        subjects = await session.scalars(
            select(outbox_messages.c.subject).where(
                outbox_messages.c.payload["data"]["snapshot_id"].astext == snapshot["id"]
            )
        )
        assert subjects.all() == ["tandem.analytics.KpiSnapshotTaken"]

    url = f"{BASE}/programs/{program}/kpis/coach_to_coachee_ratio/history"
    history = await client.get(url, headers=keys.headers("analytics:read"))
    assert history.status_code == 200
    page = history.json()
    assert (page["total"], page["limit"], page["offset"]) == (1, 100, 0)
    assert [(p["snapshot_id"], p["value"], p["status"]) for p in page["items"]] == [
        (snapshot["id"], 6.0, "green")
    ]
    later = await client.get(
        url,
        params={"from": (datetime.now(UTC) + timedelta(hours=1)).isoformat()},
        headers=keys.headers("analytics:read"),
    )
    assert later.json()["total"] == 0

    query = """query($p: ID) { kpiHistory(name: "coach_to_coachee_ratio", programId: $p, limit: 5) {
        total limit items { snapshotId value status takenAt } } }"""
    data = (
        await client.post("/graphql", json={"query": query, "variables": {"p": str(program)}},
                          headers=keys.headers("analytics:read"))
    ).json()["data"]["kpiHistory"]  # fmt: skip
    assert (data["total"], data["limit"], data["items"][0]["snapshotId"], data["items"][0]["value"]) == (
        1, 5, snapshot["id"], 6.0,
    )  # fmt: skip


async def test_history_unknown_kpi(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.get(
        f"{BASE}/programs/{uuid.uuid4()}/kpis/nope/history", headers=keys.headers("analytics:read")
    )
    assert resp.status_code == 404


@pytest.mark.usefixtures("kpis_alone")
async def test_graphql_mutations(app: FastAPI, client: httpx.AsyncClient, keys: TestKeys) -> None:
    program = await seed_program(app)
    mutation = """mutation($p: ID!) { setKpiTargets(programId: $p, amberBand: 0.3,
        targets: [{name: "coach_utilization", target12m: 0.9}]) { amberBand targets { name target12m } } }"""
    denied = (
        await client.post("/graphql", json={"query": mutation, "variables": {"p": str(program)}},
                          headers=keys.headers("analytics:read"))
    ).json()  # fmt: skip
    assert denied["errors"][0]["extensions"]["status"] == 403

    done = (
        await client.post("/graphql", json={"query": mutation, "variables": {"p": str(program)}},
                          headers=keys.headers("analytics:read", "analytics:write"))
    ).json()["data"]["setKpiTargets"]  # fmt: skip
    assert done["amberBand"] == 0.3
    assert {"name": "coach_utilization", "target12m": 0.9} in done["targets"]

    bad = """mutation($p: ID!) { setKpiTargets(programId: $p, targets: [{name: "nope"}]) { amberBand } }"""
    error = (
        await client.post("/graphql", json={"query": bad, "variables": {"p": str(program)}},
                          headers=keys.headers("analytics:write", "analytics:read"))
    ).json()["errors"][0]["extensions"]  # fmt: skip
    assert (error["status"], error["errors"][0]["pointer"]) == (422, "#/input/targets/0/name")

    snap = f'mutation {{ takeKpiSnapshot(programId: "{program}") {{ name value status }} }}'
    points = (
        await client.post(
            "/graphql", json={"query": snap}, headers=keys.headers("analytics:write", "analytics:read")
        )
    ).json()["data"]["takeKpiSnapshot"]
    assert {"name": "coach_to_coachee_ratio", "value": 6.0, "status": "green"} in points
