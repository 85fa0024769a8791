from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Query

from tandem_analytics.auth import AnalyticsRead, AnalyticsWrite
from tandem_analytics.pilot import schemas, service
from tandem_analytics.pilot.service import (
    EvaluationNotFound,
    GateNotDue,
    PilotNotFound,
    SupervisorRequired,
    UnknownGate,
)
from tandem_analytics.settings import SettingsDep
from tandem_kit.db import SessionDep
from tandem_kit.fields import Text
from tandem_kit.openapi import problems
from tandem_kit.pagination import Page, PageQuery, page_of

router = APIRouter(prefix="/pilots", tags=["pilots"])

ProgramFilter = Annotated[UUID | None, Query(description="Only the pilots of this program.")]
GateFilter = Annotated[schemas.GateName | None, Query(description="Only this gate's evaluations.")]


@router.post("", status_code=201, response_model=schemas.Pilot)
async def create_pilot(
    data: schemas.PilotCreate, principal: AnalyticsWrite, session: SessionDep
) -> schemas.Pilot:
    """Charter a 24-week pilot: cohort (20-40 leaders), sponsor, start date, linked KPIs."""
    return await service.create_pilot(session, principal, data)


@router.get("", response_model=Page[schemas.Pilot])
async def list_pilots(
    principal: AnalyticsRead, session: SessionDep, page: PageQuery, program_id: ProgramFilter = None
) -> Page[schemas.Pilot]:
    """Pilots the caller may see, newest start first."""
    items, total = await service.list_pilots(session, principal, page, program_id=program_id)
    return page_of(items, total, page, lambda p: p)


@router.get("/{pilot_id}", response_model=schemas.Pilot, responses=problems(PilotNotFound))
async def get_pilot(pilot_id: UUID, principal: AnalyticsRead, session: SessionDep) -> schemas.Pilot:
    """One pilot with its timeline of gates."""
    return await service.get_pilot(session, principal, pilot_id)


@router.post(
    "/{pilot_id}/gates/{gate}/evaluate",
    status_code=201,
    response_model=schemas.GateEvaluation,
    responses=problems(PilotNotFound, UnknownGate, GateNotDue),
)
async def evaluate_gate(
    pilot_id: UUID,
    gate: Text,
    principal: AnalyticsWrite,
    session: SessionDep,
    settings: SettingsDep,
    data: Annotated[schemas.GateEvaluate | None, Body()] = None,
) -> schemas.GateEvaluation:
    """Evaluate a gate from the data as of a day; the evidence and verdict are stored."""
    as_of = data.as_of if data is not None else None
    return await service.evaluate_gate(
        session, principal, pilot_id, gate, as_of=as_of, k=settings.kpi_min_population
    )


@router.get(
    "/{pilot_id}/evaluations",
    response_model=Page[schemas.GateEvaluation],
    responses=problems(PilotNotFound),
)
async def list_evaluations(
    pilot_id: UUID, principal: AnalyticsRead, session: SessionDep, page: PageQuery, gate: GateFilter = None
) -> Page[schemas.GateEvaluation]:
    """The pilot's gate evaluations, newest first."""
    items, total = await service.list_evaluations(session, principal, pilot_id, page, gate=gate)
    return page_of(items, total, page, lambda e: e)


@router.post(
    "/{pilot_id}/mitigations",
    status_code=201,
    response_model=schemas.Mitigation,
    responses=problems(PilotNotFound),
)
async def record_mitigation(
    pilot_id: UUID, data: schemas.MitigationCreate, principal: AnalyticsWrite, session: SessionDep
) -> schemas.Mitigation:
    """Record a mitigation (an amber verdict needs one)."""
    return await service.record_mitigation(session, principal, pilot_id, data)


@router.get(
    "/{pilot_id}/mitigations", response_model=Page[schemas.Mitigation], responses=problems(PilotNotFound)
)
async def list_mitigations(
    pilot_id: UUID, principal: AnalyticsRead, session: SessionDep, page: PageQuery
) -> Page[schemas.Mitigation]:
    """The pilot's mitigations, newest first."""
    items, total = await service.list_mitigations(session, principal, pilot_id, page)
    return page_of(items, total, page, lambda m: m)


@router.post(
    "/{pilot_id}/measures", status_code=201, response_model=schemas.Measure, responses=problems(PilotNotFound)
)
async def record_measure(
    pilot_id: UUID, data: schemas.MeasureCreate, principal: AnalyticsWrite, session: SessionDep
) -> schemas.Measure:
    """Record a cohort-level behaviour measurement (baseline or follow-up mean)."""
    return await service.record_measure(session, principal, pilot_id, data)


@router.get("/{pilot_id}/measures", response_model=Page[schemas.Measure], responses=problems(PilotNotFound))
async def list_measures(
    pilot_id: UUID, principal: AnalyticsRead, session: SessionDep, page: PageQuery
) -> Page[schemas.Measure]:
    """The pilot's behaviour measurements, newest first."""
    items, total = await service.list_measures(session, principal, pilot_id, page)
    return page_of(items, total, page, lambda m: m)


@router.post(
    "/{pilot_id}/decisions",
    status_code=201,
    response_model=schemas.Decision,
    responses=problems(PilotNotFound, SupervisorRequired, EvaluationNotFound),
)
async def record_decision(
    pilot_id: UUID, data: schemas.DecisionCreate, principal: AnalyticsWrite, session: SessionDep
) -> schemas.Decision:
    """Record the steering decision at a gate: who, when and why."""
    return await service.record_decision(session, principal, pilot_id, data)


@router.get("/{pilot_id}/decisions", response_model=Page[schemas.Decision], responses=problems(PilotNotFound))
async def list_decisions(
    pilot_id: UUID, principal: AnalyticsRead, session: SessionDep, page: PageQuery
) -> Page[schemas.Decision]:
    """The pilot's steering decisions, newest first."""
    items, total = await service.list_decisions(session, principal, pilot_id, page)
    return page_of(items, total, page, lambda d: d)
