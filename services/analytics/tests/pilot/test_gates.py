"""Simulated 24-week pilots: hand-written facts (as the issue-15 events leave them), gates evaluated
with `as_of` on each gate's date. One goes green, one amber, one red."""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from tandem_analytics.fact.consent import record_change
from tandem_analytics.models import (
    AgreementFact,
    AttendanceFact,
    BusinessKpiValue,
    MatchFact,
    ProposalFact,
    SessionTelemetry,
    SponsorActionFact,
    Vendor,
)
from tandem_analytics.models.pilot import GateEvaluation
from tandem_analytics.pilot import domain
from tandem_analytics.pilot.service import evaluate_due
from tandem_kit.events import outbox_messages
from tandem_kit.testing import sessionmaker_of

from .conftest import URL, charter, create

START = date(2026, 1, 5)
COHORT = 20


def day(n: int, hour: int = 9) -> datetime:
    return datetime.combine(START + timedelta(days=n), time(hour), UTC)


@dataclass
class Scenario:
    """How the simulated pilot goes; the defaults make every gate green."""

    intake: int = COHORT  # members whose intake (a proposal) was done by day 3
    missed: frozenset[int] = frozenset({0})  # member i misses session j when (i + j) % 10 is in here
    reassigned: int = 1
    measures: list[tuple[str, int, float]] = field(
        default_factory=lambda: [("baseline", 35, 3.1), ("follow_up", 56, 3.3), ("follow_up", 119, 3.6)]
    )
    csat_after: float = 76.0
    withdrawn: int | None = 19  # this member withdraws analytics consent on day 100
    mitigation_on: int | None = None


def facts(program: uuid.UUID, cohort: list[uuid.UUID], s: Scenario, vendor: Vendor) -> list[Any]:
    rows: list[Any] = []
    for i, person in enumerate(cohort):
        if i < s.intake:
            rows.append(
                ProposalFact(
                    proposal_id=uuid.uuid4(), program_id=program, participant_id=person, created_at=day(3)
                )
            )
        coach = uuid.uuid4()
        reassigned = i < s.reassigned
        rows.append(
            MatchFact(
                match_id=coach,
                program_id=program,
                participant_id=person,
                provider_id=uuid.uuid4(),
                provider_kind="coach",
                track="coach",
                approved_at=day(20),
                ended_at=day(50) if reassigned else None,
                end_reason="reassigned" if reassigned else None,
            )
        )
        rows.append(
            AgreementFact(
                agreement_id=uuid.uuid4(),
                version=1,
                engagement_id=uuid.uuid4(),
                match_id=coach,
                participant_id=person,
                signed_at=day(26),
            )
        )
        for j, d in enumerate(range(28, 166, 7)):  # weekly sessions from week 4 to week 23
            held = (i + j) % 10 not in s.missed
            rows.append(
                AttendanceFact(
                    session_id=uuid.uuid4(),
                    engagement_id=uuid.uuid4(),
                    match_id=coach,
                    program_id=program,
                    participant_id=person,
                    provider_person_id=uuid.uuid4(),
                    kind="regular",
                    starts_at=day(d),
                    held=held,
                    outcome="attended" if held else "no_show_participant",
                    revision=1,
                    recorded_at=day(d, 11),
                    recorded_by_role="provider",
                )
            )
        if i < COHORT // 2:  # half the cohort also has a mentor, who logs a sponsor action by week 13
            mentor = uuid.uuid4()
            rows.append(
                MatchFact(
                    match_id=mentor,
                    program_id=program,
                    participant_id=person,
                    provider_id=uuid.uuid4(),
                    provider_kind="mentor",
                    track="mentor",
                    approved_at=day(25),
                )
            )
            rows.append(
                SponsorActionFact(
                    action_id=uuid.uuid4(),
                    match_id=mentor,
                    program_id=program,
                    participant_id=person,
                    mentor_person_id=uuid.uuid4(),
                    kind="introduction",
                    action_date=START + timedelta(days=90),
                    outcome="succeeded",
                    logged_at=day(90),
                )
            )
        rows.append(
            SessionTelemetry(
                vendor_id=vendor.id,
                webhook_id=f"msg_{uuid.uuid4().hex}",
                type="session.completed",
                occurred_at=day(100),
                vendor_session_id=uuid.uuid4().hex,
                participant_id=person,
                provider_id=uuid.uuid4(),
                started_at=day(100),
                duration_minutes=50,
                rating=5,
                received_at=day(100, 12),
            )
        )
    for period, value in (("2025-Q4", 72.0), ("2026-Q1", 73.0), ("2026-Q2", s.csat_after)):
        rows.append(
            BusinessKpiValue(
                program_id=program,
                kpi_name="csat",
                period=period,
                segment_kind="program",
                segment="",
                value=value,
                imported_by="test",
            )
        )
    return rows


async def run_pilot(
    app: FastAPI, client: httpx.AsyncClient, manager: dict[str, str], s: Scenario
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Charter the pilot, write its facts, then evaluate every gate on its date."""
    cohort = [uuid.uuid4() for _ in range(COHORT)]
    program = uuid.uuid4()
    pilot = await create(
        client, manager, charter(cohort, program_id=str(program), start_date=START.isoformat())
    )
    vendor = Vendor(id=uuid.uuid4(), name=f"pilot-{uuid.uuid4().hex[:6]}", secret_encrypted=b"sealed")
    async with sessionmaker_of(app)() as session, session.begin():
        for person in cohort:
            await record_change(session, person, granted=True, at=day(-30))
        if s.withdrawn is not None:
            await record_change(session, cohort[s.withdrawn], granted=False, at=day(100))
        session.add(vendor)
        await session.flush()
        session.add_all(facts(program, cohort, s, vendor))
    for phase, on, mean in s.measures:
        measure = {"indicator": "escalation_hygiene", "phase": phase, "mean": mean, "respondents": 17}
        measure["measured_on"] = (START + timedelta(days=on)).isoformat()
        resp = await client.post(f"{URL}/{pilot['id']}/measures", json=measure, headers=manager)
        assert resp.status_code == 201, resp.text
    if s.mitigation_on is not None:
        mitigation = {
            "gate": "week_6",
            "text": "Move sessions to Tuesday mornings; coaches confirm 48 h ahead.",
            "recorded_on": (START + timedelta(days=s.mitigation_on)).isoformat(),
        }
        resp = await client.post(f"{URL}/{pilot['id']}/mitigations", json=mitigation, headers=manager)
        assert resp.status_code == 201, resp.text
    evaluations = {}
    for gate in domain.GATES:
        as_of = domain.gate_date(START, gate).isoformat()
        resp = await client.post(
            f"{URL}/{pilot['id']}/gates/{gate}/evaluate", json={"as_of": as_of}, headers=manager
        )
        assert resp.status_code == 201, resp.text
        evaluations[gate] = resp.json()
    return pilot, evaluations


def verdicts(evaluations: dict[str, dict[str, Any]]) -> dict[str, str]:
    return {gate: e["verdict"] for gate, e in evaluations.items()}


async def test_a_pilot_that_goes_green(
    app: FastAPI, client: httpx.AsyncClient, manager: dict[str, str]
) -> None:
    pilot, evaluations = await run_pilot(app, client, manager, Scenario())

    assert set(verdicts(evaluations).values()) == {"green"}
    week_2 = evaluations["week_2"]["evidence"]
    assert (week_2["cohort_size"], week_2["members_counted"], week_2["intake_rate"]) == (20, 20, 1.0)
    week_6 = evaluations["week_6"]["evidence"]
    # Sessions on days 28, 35, 42: 60 due, member i misses session j when (i + j) % 10 == 0: 6 missed.
    assert (week_6["sessions_due"], week_6["sessions_attended"], week_6["attendance_rate"]) == (60, 54, 0.9)
    assert evaluations["week_9"]["evidence"]["reassignment_rate"] == 0.05
    assert evaluations["week_12"]["evidence"]["behaviour_lift"] == pytest.approx(0.2)
    week_15 = evaluations["week_15"]["evidence"]
    assert (week_15["mentees"], week_15["mentees_with_sponsor_action"]) == (10, 10)
    # The member who withdrew on day 100 no longer counts from then on.
    assert week_15["members_counted"] == 19
    assert evaluations["week_16"]["evidence"]["telemetry_coverage"] == 1.0
    week_24 = evaluations["week_24"]
    assert week_24["evidence"]["behaviour_lift"] == pytest.approx(0.5)
    assert (week_24["evidence"]["kpis_improved"], week_24["evidence"]["kpis_measured"]) == (1, 1)
    assert [c["standing"] for c in week_24["criteria"]] == ["met", "met", "met"]
    async with sessionmaker_of(app)() as session:
        sent = (
            await session.scalars(
                select(outbox_messages.c.payload).where(
                    outbox_messages.c.subject == "tandem.analytics.GateEvaluated"
                )
            )
        ).all()
    mine = {p["data"]["gate"]: p["data"] for p in sent if p["data"]["pilot_id"] == pilot["id"]}
    assert set(mine) == set(domain.GATES)
    assert mine["week_6"]["evidence"]["attendance_rate"] == 0.9
    assert mine["week_24"]["verdict"] == "green"

    go = await client.post(
        f"{URL}/{pilot['id']}/decisions",
        json={
            "gate": "week_24",
            "decision": "go",
            "rationale": "All gates green.",
            "evaluation_id": week_24["id"],
        },
        headers=manager,
    )
    assert go.status_code == 201, go.text
    assert go.json()["evaluation_id"] == week_24["id"]


async def test_a_pilot_that_goes_amber(
    app: FastAPI, client: httpx.AsyncClient, manager: dict[str, str]
) -> None:
    # Attendance near 70%: partial progress; a mitigation was recorded on day 40.
    scenario = Scenario(missed=frozenset({0, 1, 2}), mitigation_on=40)

    _, evaluations = await run_pilot(app, client, manager, scenario)

    found = verdicts(evaluations)
    assert evaluations["week_6"]["evidence"]["attendance_rate"] == 0.7
    assert {g: found[g] for g in ("week_6", "week_12", "week_19", "week_24")} == {
        "week_6": "amber",
        "week_12": "amber",
        "week_19": "amber",
        "week_24": "amber",
    }
    assert found["week_2"] == found["week_4"] == found["week_9"] == found["week_15"] == "green"
    assert evaluations["week_24"]["evidence"]["mitigations"] == 1


async def test_a_pilot_that_goes_red(
    app: FastAPI, client: httpx.AsyncClient, manager: dict[str, str]
) -> None:
    # Intake stalled at 8 of 20, no behaviour measured, CSAT fell.
    scenario = Scenario(intake=8, measures=[], csat_after=70.0, mitigation_on=10)

    pilot, evaluations = await run_pilot(app, client, manager, scenario)

    found = verdicts(evaluations)
    assert found["week_2"] == "red"  # 0.4 intake: no progress, mitigation or not
    assert evaluations["week_2"]["evidence"]["intake_rate"] == 0.4
    assert found["week_12"] == found["week_19"] == found["week_24"] == "red"
    week_24 = {c["name"]: c["standing"] for c in evaluations["week_24"]["criteria"]}
    assert week_24 == {
        "attendance_rate": "met",
        "behaviour_lift": "missing",
        "linked_kpis_improved": "partial",
    }

    stop = await client.post(
        f"{URL}/{pilot['id']}/decisions",
        json={"gate": "week_24", "decision": "stop", "rationale": "No evidence of behaviour change."},
        headers=manager,
    )
    assert stop.status_code == 201
    listed = await client.get(f"{URL}/{pilot['id']}/evaluations", params={"gate": "week_24"}, headers=manager)
    assert [e["verdict"] for e in listed.json()["items"]] == ["red"]


async def test_the_scheduled_run_evaluates_each_due_gate_once(
    app: FastAPI, client: httpx.AsyncClient, manager: dict[str, str]
) -> None:
    pilot = await create(
        client, manager, charter([uuid.uuid4() for _ in range(20)], start_date=START.isoformat())
    )
    pilot_id = uuid.UUID(pilot["id"])

    async with sessionmaker_of(app)() as session, session.begin():
        first = [e for e in await evaluate_due(session, date(2026, 2, 20), k=5) if e.pilot_id == pilot_id]
        again = [e for e in await evaluate_due(session, date(2026, 2, 20), k=5) if e.pilot_id == pilot_id]
        stored = (
            await session.scalars(select(GateEvaluation).where(GateEvaluation.pilot_id == pilot_id))
        ).all()

    assert [(e.gate, e.as_of.isoformat(), e.evaluated_by) for e in first] == [
        ("week_2", "2026-01-19", "scheduler"),
        ("week_4", "2026-02-02", "scheduler"),
        ("week_6", "2026-02-16", "scheduler"),
    ]
    assert again == []
    assert len(stored) == 3
    # Nobody in the cohort has analytics consent: nothing can be counted, so the evidence is missing.
    assert first[0].evidence["members_counted"] is None
    assert first[0].verdict == "red"
