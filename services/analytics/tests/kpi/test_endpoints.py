import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tandem_analytics.graphql import schema
from tandem_analytics.models import (
    ConsentPeriod,
    EngagementFact,
    KpiProgram,
    MatchFact,
    ProviderFact,
    SessionFact,
    SessionTelemetry,
    SlaFact,
    SlaOutcomeFact,
    Vendor,
)
from tandem_kit.testing import TestKeys, sessionmaker_of

from .conftest import ingest

URL = "/api/v1/analytics/kpis"
OPERATIONAL = (
    "coach_to_coachee_ratio",
    "coach_utilization",
    "session_completion_rate",
    "attendance_rate",
    "sla_adherence",
    "time_to_first_session",
)
SERVICE_DIR = Path(__file__).resolve().parents[2]


def telemetry(vendor: Vendor, type_: str, participant: uuid.UUID, **fields: Any) -> SessionTelemetry:
    return SessionTelemetry(
        vendor_id=vendor.id,
        webhook_id=f"msg_{uuid.uuid4().hex}",
        type=type_,
        occurred_at=fields.pop("occurred_at", datetime.now(UTC)),
        vendor_session_id=fields.pop("vendor_session_id", uuid.uuid4().hex),
        participant_id=participant,
        provider_id=uuid.uuid4(),
        started_at=fields.pop("started_at", datetime.now(UTC) - timedelta(days=3)),
        duration_minutes=50,
        **fields,
    )


@pytest.fixture
async def program(app: FastAPI, client: httpx.AsyncClient, kpis_alone: None) -> uuid.UUID:
    """A program with 6 coachees on 2 coaches (capacity 10), sessions, vendor outcomes and one SLA breach."""
    now = datetime.now(UTC)
    approved = now - timedelta(days=20)
    program_id = uuid.uuid4()
    coaches = [uuid.uuid4(), uuid.uuid4()]
    people = [uuid.uuid4() for _ in range(6)]
    vendor = Vendor(id=uuid.uuid4(), name=f"kpi-{uuid.uuid4().hex[:6]}", secret_encrypted=b"sealed")
    rows: list[Any] = [ConsentPeriod(person_id=p, granted_from=approved - timedelta(days=1)) for p in people]
    # Started long ago: the 12-month targets are in force.
    rows.append(
        KpiProgram(program_id=program_id, started_on=(now - timedelta(days=400)).date(), updated_at=now)
    )
    rows += [
        ProviderFact(
            provider_id=c,
            person_id=uuid.uuid4(),
            program_id=program_id,
            kind="coach",
            capacity=5,
            registered_at=approved,
        )
        for c in coaches
    ]
    rows.append(
        ProviderFact(
            provider_id=uuid.uuid4(),
            person_id=uuid.uuid4(),
            program_id=program_id,
            kind="mentor",
            capacity=3,
            registered_at=approved,
        )
    )
    matches, sessions = [], []
    for i, person in enumerate(people):
        match, engagement, session = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        late = i == 5
        matches.append(match)
        sessions.append(session)
        rows += [
            MatchFact(
                match_id=match,
                program_id=program_id,
                participant_id=person,
                provider_id=coaches[i // 3],
                provider_kind="coach",
                track="coach",
                approved_at=approved,
            ),
            EngagementFact(
                engagement_id=engagement,
                match_id=match,
                program_id=program_id,
                participant_id=person,
                provider_id=coaches[i // 3],
                kickoff_due_at=approved + timedelta(days=7),
                created_at=approved,
            ),
            SessionFact(
                session_id=session,
                engagement_id=engagement,
                match_id=match,
                participant_id=person,
                provider_id=coaches[i // 3],
                kind="kickoff",
                booked_at=approved + timedelta(days=9 if late else 1),
                starts_at=approved + timedelta(days=10 if late else 2),
                ends_at=approved + timedelta(days=10 if late else 2, hours=1),
            ),
        ]
        rows.append(
            SlaOutcomeFact(
                engagement_id=engagement,
                sla="kickoff_held",
                due_at=approved + timedelta(days=7),
                match_id=match,
                program_id=program_id,
                layer="coaching",
                met=not late,
                ended_at=approved + timedelta(days=7),
            )
        )
        if late:
            rows.append(
                SlaFact(
                    engagement_id=engagement,
                    sla="kickoff",
                    match_id=match,
                    due_at=approved + timedelta(days=7),
                    breached_at=approved + timedelta(days=7, minutes=1),
                )
            )
        if i == 1:  # a cancelled session is neither due nor attended
            rows.append(
                SessionFact(
                    session_id=uuid.uuid4(),
                    engagement_id=engagement,
                    match_id=match,
                    participant_id=person,
                    kind="regular",
                    starts_at=now - timedelta(days=1),
                    cancelled_at=now - timedelta(days=2),
                )
            )
    # A mentor match does not count towards coaching ratios.
    rows.append(
        MatchFact(
            match_id=uuid.uuid4(),
            program_id=program_id,
            participant_id=people[0],
            provider_id=uuid.uuid4(),
            provider_kind="mentor",
            track="mentor",
            approved_at=approved,
        )
    )
    # Kickoffs 0-3 completed, 4 a no-show, 5 no outcome reported.
    rows += [telemetry(vendor, "session.completed", people[i], session_id=sessions[i]) for i in range(4)]
    rows.append(telemetry(vendor, "session.no_show", people[4], session_id=sessions[4]))
    # A vendor-only session linked by match id: first reported a no-show, then corrected to completed.
    rows += [
        telemetry(
            vendor,
            "session.no_show",
            people[0],
            match_id=matches[0],
            vendor_session_id="vs-corrected",
            occurred_at=now - timedelta(hours=2),
        ),
        telemetry(
            vendor,
            "session.completed",
            people[0],
            match_id=matches[0],
            vendor_session_id="vs-corrected",
            occurred_at=now - timedelta(hours=1),
        ),
        # Not due yet, and merely scheduled: neither counts.
        telemetry(
            vendor, "session.completed", people[1], match_id=matches[1], started_at=now + timedelta(days=1)
        ),
        telemetry(vendor, "session.scheduled", people[2], match_id=matches[2]),
    ]
    async with sessionmaker_of(app)() as session:
        session.add(vendor)
        await session.flush()
        session.add_all(r for r in rows if not isinstance(r, SessionTelemetry))
        await ingest(session, (r for r in rows if isinstance(r, SessionTelemetry)))
        await session.commit()
    return program_id


@pytest.fixture
async def small_program(app: FastAPI, client: httpx.AsyncClient, kpis_alone: None) -> uuid.UUID:
    """Three coachees: below k = 5."""
    program_id, coach = uuid.uuid4(), uuid.uuid4()
    now = datetime.now(UTC)
    async with sessionmaker_of(app)() as session:
        session.add(
            ProviderFact(
                provider_id=coach,
                person_id=uuid.uuid4(),
                program_id=program_id,
                kind="coach",
                capacity=10,
                registered_at=now,
            )
        )
        people = [uuid.uuid4() for _ in range(3)]
        session.add_all(ConsentPeriod(person_id=p, granted_from=now - timedelta(days=1)) for p in people)
        session.add_all(
            MatchFact(
                match_id=uuid.uuid4(),
                program_id=program_id,
                participant_id=p,
                provider_id=coach,
                provider_kind="coach",
                track="coach",
                approved_at=now,
            )
            for p in people
        )
        await session.commit()
    return program_id


async def test_anonymous(client: httpx.AsyncClient) -> None:
    resp = await client.get(URL)
    assert resp.status_code == 401
    assert resp.headers["content-type"] == "application/problem+json"


async def test_missing_scope(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.get(f"{URL}/coach_utilization", headers=keys.headers("analytics:ingest"))
    assert resp.status_code == 403
    assert resp.json()["missing_scopes"] == ["analytics:read"]


async def test_unknown_kpi_not_found(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.get(f"{URL}/nps", headers=keys.headers("analytics:read"))
    assert resp.status_code == 404
    assert resp.json()["parameter"] == "name"


async def test_bad_program_id_names_parameter(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.get(URL, params={"program_id": "nope"}, headers=keys.headers("analytics:read"))
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["parameter"] == "program_id"


async def test_values_from_seeded_facts(
    client: httpx.AsyncClient, keys: TestKeys, program: uuid.UUID
) -> None:
    resp = await client.get(URL, params={"program_id": str(program)}, headers=keys.headers("analytics:read"))
    assert resp.status_code == 200
    got = {k["name"]: (k["status"], k["value"], k["numerator"], k["denominator"]) for k in resp.json()}
    assert len(got) == 16
    assert {name: got[name] for name in OPERATIONAL} == {
        "coach_to_coachee_ratio": ("green", 3.0, 6, 2),
        "coach_utilization": ("red", 0.6, 6, 10),
        "session_completion_rate": ("green", 0.8333, 5, 6),
        # No attendance ledger entries: every session counts by its vendor outcome.
        "attendance_rate": ("red", 0.6667, 4, 6),
        "sla_adherence": ("red", 0.8333, 5, 6),
        "time_to_first_session": ("green", 3.3333, 20, 6),
    }


async def test_match_ended_before_its_approval_counts_nowhere(
    app: FastAPI, client: httpx.AsyncClient, keys: TestKeys, program: uuid.UUID
) -> None:
    # The row an early MatchEnded leaves (no approval yet), with a session already booked for it.
    now, match = datetime.now(UTC), uuid.uuid4()
    async with sessionmaker_of(app)() as session:
        session.add(
            MatchFact(
                match_id=match,
                program_id=program,
                participant_id=uuid.uuid4(),
                provider_id=uuid.uuid4(),
                provider_kind="coach",
                ended_at=now - timedelta(days=1),
                end_reason="withdrawn",
            )
        )
        session.add(
            SessionFact(
                session_id=uuid.uuid4(),
                engagement_id=uuid.uuid4(),
                match_id=match,
                kind="kickoff",
                starts_at=now - timedelta(days=5),
            )
        )
        await session.commit()

    resp = await client.get(URL, params={"program_id": str(program)}, headers=keys.headers("analytics:read"))

    got = {k["name"]: (k["value"], k["numerator"], k["denominator"]) for k in resp.json()}
    assert got["coach_to_coachee_ratio"] == (3.0, 6, 2)
    assert got["coach_utilization"] == (0.6, 6, 10)
    assert got["time_to_first_session"] == (3.3333, 20, 6)


async def test_single_kpi_carries_seed_baseline_and_target(
    client: httpx.AsyncClient, keys: TestKeys, program: uuid.UUID
) -> None:
    resp = await client.get(
        f"{URL}/coach_to_coachee_ratio",
        params={"program_id": str(program)},
        headers=keys.headers("analytics:read"),
    )
    body = resp.json()
    assert body["id"] == f"{program}:coach_to_coachee_ratio"
    assert (body["baseline"], body["target"], body["better"], body["meets_target"]) == (25, 15, "lower", True)
    assert (body["suppressed"], body["insufficient_data"], body["k"]) == (False, False, 5)
    assert "participant_id" not in str(body)


async def test_fewer_than_k_people_is_suppressed(
    client: httpx.AsyncClient, keys: TestKeys, small_program: uuid.UUID
) -> None:
    resp = await client.get(
        f"{URL}/coach_utilization",
        params={"program_id": str(small_program)},
        headers=keys.headers("analytics:read"),
    )
    body = resp.json()
    assert (body["status"], body["suppressed"]) == ("suppressed", True)
    assert (body["value"], body["numerator"], body["denominator"]) == (None, None, None)


async def test_no_facts_is_insufficient_data(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.get(
        URL, params={"program_id": str(uuid.uuid4())}, headers=keys.headers("analytics:read")
    )
    assert resp.status_code == 200
    assert {(k["status"], k["value"], k["insufficient_data"]) for k in resp.json()} == {
        ("insufficient_data", None, True)
    }


async def test_graphql_kpis(client: httpx.AsyncClient, keys: TestKeys, program: uuid.UUID) -> None:
    query = "query($p: ID) { kpis(programId: $p) { id name value suppressed baseline target } }"
    resp = await client.post(
        "/graphql",
        json={"query": query, "variables": {"p": str(program)}},
        headers=keys.headers("analytics:read"),
    )
    data = resp.json()["data"]["kpis"]
    assert {
        "id": f"{program}:coach_utilization",
        "name": "coach_utilization",
        "value": 0.6,
        "suppressed": False,
        "baseline": 0.4,
        "target": 0.7,
    } in data
    assert len(data) == 16


async def test_graphql_entity_reference(
    client: httpx.AsyncClient, keys: TestKeys, program: uuid.UUID
) -> None:
    query = "query($r: [_Any!]!) { _entities(representations: $r) { ... on KpiValue { id value status } } }"
    reps = [
        {"__typename": "KpiValue", "id": f"{program}:coach_to_coachee_ratio"},
        {"__typename": "KpiValue", "id": f"{program}:session_completion_rate"},
    ]
    resp = await client.post(
        "/graphql", json={"query": query, "variables": {"r": reps}}, headers=keys.headers("analytics:read")
    )
    assert resp.json()["data"]["_entities"] == [
        {"id": f"{program}:coach_to_coachee_ratio", "value": 3.0, "status": "green"},
        {"id": f"{program}:session_completion_rate", "value": 0.8333, "status": "green"},
    ]


async def test_graphql_needs_read_scope(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.post(
        "/graphql", json={"query": "{ kpis { id } }"}, headers=keys.headers("analytics:ingest")
    )
    assert resp.status_code == 403


def test_exported_sdl_is_current() -> None:
    assert (SERVICE_DIR / "schema.graphql").read_text() == schema.as_str() + "\n"
