from datetime import date, datetime
from typing import Any
from uuid import UUID

import strawberry
from strawberry.types import Info

from tandem_analytics.pilot import schemas, service
from tandem_analytics.settings import Settings
from tandem_kit.graphql import (
    Page,
    exclusive_session,
    field,
    graphql_input,
    graphql_page,
    page_params,
    parse_id,
    require_scope,
)


@strawberry.type(description="A gate of the pilot's timeline and its date.")
class PilotGateDate:
    gate: str
    title: str
    due_on: date


@strawberry.type(description="A transformation (business) KPI the pilot must move.")
class LinkedKpi:
    name: str
    better: str
    segment_kind: str
    segment: str


@strawberry.input(description="A transformation (business) KPI the pilot must move.")
class LinkedKpiInput:
    name: str
    better: str = "higher"
    segment_kind: str = "program"
    segment: str = ""


@strawberry.federation.type(
    keys=["id"], description="A 24-week pilot charter: cohort, sponsor, start, gates."
)
class Pilot:
    id: strawberry.ID
    program_id: strawberry.ID
    sponsor_id: strawberry.ID
    start_date: date
    end_date: date
    cohort_size: int
    cohort: list[strawberry.ID]
    linked_kpis: list[LinkedKpi]
    timeline: list[PilotGateDate]
    created_by: str
    created_at: datetime

    @classmethod
    async def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> "Pilot | None":
        principal = require_scope(info, "analytics:read")
        pilot_id = parse_id(id)
        if pilot_id is None:
            return None
        async with exclusive_session(info) as session:
            try:
                return to_graphql(await service.get_pilot(session, principal, pilot_id))
            except service.PilotNotFound:
                return None


@strawberry.type(description="One named number of a gate's evidence (null when suppressed or missing).")
class EvidenceValue:
    name: str
    value: float | None


@strawberry.type(description="A criterion of a gate and how the evidence stands against it.")
class GateCriterion:
    name: str
    standing: str
    value: float | None
    bar: str


@strawberry.federation.type(keys=["id"], description="One evaluation of a pilot gate: evidence and verdict.")
class GateEvaluation:
    id: strawberry.ID
    pilot_id: strawberry.ID
    gate: str
    as_of: date
    verdict: str
    evidence: list[EvidenceValue]
    criteria: list[GateCriterion]
    evaluated_by: str
    evaluated_at: datetime


@strawberry.type(description="A steering decision at a gate: who, when and why.")
class PilotDecision:
    id: strawberry.ID
    pilot_id: strawberry.ID
    gate: str
    decision: str
    rationale: str
    evaluation_id: strawberry.ID | None
    decided_by: str
    decided_at: datetime


@strawberry.type(description="A mitigation recorded for a pilot.")
class PilotMitigation:
    id: strawberry.ID
    pilot_id: strawberry.ID
    gate: str | None
    text: str
    recorded_on: date
    recorded_by: str


@strawberry.type(description="A cohort-level behaviour measurement (baseline or follow-up mean).")
class PilotMeasure:
    id: strawberry.ID
    pilot_id: strawberry.ID
    indicator: str
    phase: str
    mean: float
    respondents: int
    measured_on: date


def _id(value: UUID) -> strawberry.ID:
    return strawberry.ID(str(value))


def to_graphql(p: schemas.Pilot) -> Pilot:
    return Pilot(
        id=_id(p.id),
        program_id=_id(p.program_id),
        sponsor_id=_id(p.sponsor_id),
        start_date=p.start_date,
        end_date=p.end_date,
        cohort_size=p.cohort_size,
        cohort=[_id(c) for c in p.cohort],
        linked_kpis=[LinkedKpi(**k.model_dump()) for k in p.linked_kpis],
        timeline=[PilotGateDate(gate=t.gate, title=t.title, due_on=t.due_on) for t in p.timeline],
        created_by=p.created_by,
        created_at=p.created_at,
    )


def evaluation_to_graphql(e: schemas.GateEvaluation) -> GateEvaluation:
    return GateEvaluation(
        id=_id(e.id),
        pilot_id=_id(e.pilot_id),
        gate=e.gate,
        as_of=e.as_of,
        verdict=e.verdict,
        evidence=[EvidenceValue(name=k, value=v) for k, v in sorted(e.evidence.items())],
        criteria=[
            GateCriterion(name=c.name, standing=c.standing, value=c.value, bar=c.bar) for c in e.criteria
        ],
        evaluated_by=e.evaluated_by,
        evaluated_at=e.evaluated_at,
    )


def decision_to_graphql(d: schemas.Decision) -> PilotDecision:
    return PilotDecision(
        id=_id(d.id),
        pilot_id=_id(d.pilot_id),
        gate=d.gate,
        decision=d.decision,
        rationale=d.rationale,
        evaluation_id=_id(d.evaluation_id) if d.evaluation_id else None,
        decided_by=d.decided_by,
        decided_at=d.decided_at,
    )


def mitigation_to_graphql(m: schemas.Mitigation) -> PilotMitigation:
    return PilotMitigation(
        id=_id(m.id),
        pilot_id=_id(m.pilot_id),
        gate=m.gate,
        text=m.text,
        recorded_on=m.recorded_on,
        recorded_by=m.recorded_by,
    )


def measure_to_graphql(m: schemas.Measure) -> PilotMeasure:
    return PilotMeasure(
        id=_id(m.id),
        pilot_id=_id(m.pilot_id),
        indicator=m.indicator,
        phase=m.phase,
        mean=m.mean,
        respondents=m.respondents,
        measured_on=m.measured_on,
    )


def _k(info: Info[Any, Any]) -> int:
    settings: Settings = info.context["request"].app.state.settings
    return settings.kpi_min_population


@strawberry.type
class PilotQuery:
    @field(description="One pilot (null when it does not exist or the caller may not see it).")
    async def pilot(self, info: Info[Any, Any], id: strawberry.ID) -> Pilot | None:
        return await Pilot.resolve_reference(info, id)

    @field(description="Pilots the caller may see, newest start first.")
    async def pilots(
        self, info: Info[Any, Any], program_id: UUID | None = None, limit: int = 100, offset: int = 0
    ) -> Page[Pilot]:
        principal = require_scope(info, "analytics:read")
        params = page_params(limit, offset)
        async with exclusive_session(info) as session:
            items, total = await service.list_pilots(session, principal, params, program_id=program_id)
        return graphql_page(items, total, params, to_graphql)

    @field(description="A pilot's gate evaluations, newest first.")
    async def gate_evaluations(
        self, info: Info[Any, Any], pilot_id: UUID, gate: str | None = None, limit: int = 100, offset: int = 0
    ) -> Page[GateEvaluation] | None:
        principal = require_scope(info, "analytics:read")
        params = page_params(limit, offset)
        async with exclusive_session(info) as session:
            items, total = await service.list_evaluations(session, principal, pilot_id, params, gate=gate)
        return graphql_page(items, total, params, evaluation_to_graphql)

    @field(description="A pilot's steering decisions, newest first.")
    async def pilot_decisions(
        self, info: Info[Any, Any], pilot_id: UUID, limit: int = 100, offset: int = 0
    ) -> Page[PilotDecision] | None:
        principal = require_scope(info, "analytics:read")
        params = page_params(limit, offset)
        async with exclusive_session(info) as session:
            items, total = await service.list_decisions(session, principal, pilot_id, params)
        return graphql_page(items, total, params, decision_to_graphql)

    @field(description="A pilot's mitigations, newest first.")
    async def pilot_mitigations(
        self, info: Info[Any, Any], pilot_id: UUID, limit: int = 100, offset: int = 0
    ) -> Page[PilotMitigation] | None:
        principal = require_scope(info, "analytics:read")
        params = page_params(limit, offset)
        async with exclusive_session(info) as session:
            items, total = await service.list_mitigations(session, principal, pilot_id, params)
        return graphql_page(items, total, params, mitigation_to_graphql)


@strawberry.type
class PilotMutation:
    @field(description="Charter a 24-week pilot (cohort of 20-40 leaders).")
    async def create_pilot(
        self,
        info: Info[Any, Any],
        program_id: UUID,
        sponsor_id: UUID,
        start_date: date,
        cohort: list[UUID],
        linked_kpis: list[LinkedKpiInput] | None = None,
    ) -> Pilot:
        principal = require_scope(info, "analytics:write")
        data = graphql_input(
            schemas.PilotCreate,
            "input",
            {
                "program_id": program_id,
                "sponsor_id": sponsor_id,
                "start_date": start_date,
                "cohort": cohort,
                "linked_kpis": [vars(k) for k in linked_kpis or []],
            },
        )
        async with exclusive_session(info) as session:
            return to_graphql(await service.create_pilot(session, principal, data))

    @field(description="Evaluate a pilot gate from the data as of a day (default today).")
    async def evaluate_pilot_gate(
        self, info: Info[Any, Any], pilot_id: UUID, gate: str, as_of: date | None = None
    ) -> GateEvaluation:
        principal = require_scope(info, "analytics:write")
        data = graphql_input(schemas.GateEvaluate, "input", {"as_of": as_of})
        async with exclusive_session(info) as session:
            evaluation = await service.evaluate_gate(
                session, principal, pilot_id, gate, as_of=data.as_of, k=_k(info)
            )
        return evaluation_to_graphql(evaluation)

    @field(description="Record a mitigation for a pilot (an amber verdict needs one).")
    async def record_pilot_mitigation(
        self,
        info: Info[Any, Any],
        pilot_id: UUID,
        text: str,
        gate: str | None = None,
        recorded_on: date | None = None,
    ) -> PilotMitigation:
        principal = require_scope(info, "analytics:write")
        data = graphql_input(
            schemas.MitigationCreate, "input", {"text": text, "gate": gate, "recorded_on": recorded_on}
        )
        async with exclusive_session(info) as session:
            return mitigation_to_graphql(await service.record_mitigation(session, principal, pilot_id, data))

    @field(description="Record a cohort-level behaviour measurement (baseline or follow-up mean).")
    async def record_pilot_measure(
        self,
        info: Info[Any, Any],
        pilot_id: UUID,
        indicator: str,
        phase: str,
        mean: float,
        respondents: int,
        measured_on: date,
    ) -> PilotMeasure:
        principal = require_scope(info, "analytics:write")
        data = graphql_input(
            schemas.MeasureCreate,
            "input",
            {
                "indicator": indicator,
                "phase": phase,
                "mean": mean,
                "respondents": respondents,
                "measured_on": measured_on,
            },
        )
        async with exclusive_session(info) as session:
            return measure_to_graphql(await service.record_measure(session, principal, pilot_id, data))

    @field(description="Record the steering decision at a gate (program manager, admin or machine).")
    async def record_pilot_decision(
        self,
        info: Info[Any, Any],
        pilot_id: UUID,
        gate: str,
        decision: str,
        rationale: str,
        evaluation_id: UUID | None = None,
    ) -> PilotDecision:
        principal = require_scope(info, "analytics:write")
        data = graphql_input(
            schemas.DecisionCreate,
            "input",
            {"gate": gate, "decision": decision, "rationale": rationale, "evaluation_id": evaluation_id},
        )
        async with exclusive_session(info) as session:
            return decision_to_graphql(await service.record_decision(session, principal, pilot_id, data))
