from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from tandem_analytics.kpi import service
from tandem_analytics.kpi.auth import AnalyticsRead, AnalyticsWrite
from tandem_analytics.kpi.repository import Scope
from tandem_analytics.kpi.schemas import (
    KpiHistoryPoint,
    KpiSnapshot,
    KpiSnapshotCreate,
    KpiTargets,
    KpiTargetsUpdate,
    KpiValue,
)
from tandem_analytics.kpi.service import CohortNeedsProgram, KpiNotFound
from tandem_analytics.settings import SettingsDep
from tandem_kit.db import SessionDep
from tandem_kit.fields import Text
from tandem_kit.openapi import problems
from tandem_kit.pagination import Page, PageQuery, page_of

router = APIRouter(tags=["kpis"])

ProgramId = Annotated[UUID | None, Query(description="Program to compute for; omit for all programs.")]
Cohort = Annotated[
    Text | None,
    Query(
        pattern=r"^[0-9]{4}-Q[1-4]$", description="Cohort (`YYYY-Qn` of first approval); needs program_id."
    ),
]


@router.get("/kpis", response_model=list[KpiValue], responses=problems(CohortNeedsProgram))
async def list_kpis(
    principal: AnalyticsRead,
    session: SessionDep,
    settings: SettingsDep,
    program_id: ProgramId = None,
    cohort: Cohort = None,
) -> list[KpiValue]:
    """Every KPI with its metadata and status, computed from the stored facts (aggregates, k-anonymous)."""
    return await service.program_kpis(session, program_id=program_id, cohort=cohort, settings=settings)


@router.get("/kpis/{name}", response_model=KpiValue, responses=problems(KpiNotFound, CohortNeedsProgram))
async def get_kpi(
    name: Text,
    principal: AnalyticsRead,
    session: SessionDep,
    settings: SettingsDep,
    program_id: ProgramId = None,
    cohort: Cohort = None,
) -> KpiValue:
    """One KPI by name."""
    return await service.get_kpi(session, name, program_id=program_id, cohort=cohort, settings=settings)


@router.get("/programs/{program_id}/kpi-targets", response_model=KpiTargets)
async def get_kpi_targets(program_id: UUID, principal: AnalyticsRead, session: SessionDep) -> KpiTargets:
    """The baseline, targets and amber band in force for each KPI of a program."""
    return await service.get_targets(session, program_id)


@router.put("/programs/{program_id}/kpi-targets", response_model=KpiTargets)
async def set_kpi_targets(
    program_id: UUID, body: KpiTargetsUpdate, principal: AnalyticsWrite, session: SessionDep
) -> KpiTargets:
    """Replace a program's KPI overrides (start date, amber band, business KPI, targets per KPI)."""
    return await service.set_targets(session, program_id, body)


@router.post(
    "/snapshots", status_code=201, response_model=KpiSnapshot, responses=problems(CohortNeedsProgram)
)
async def take_snapshot(
    body: KpiSnapshotCreate, principal: AnalyticsWrite, session: SessionDep, settings: SettingsDep
) -> KpiSnapshot:
    """Snapshot every KPI of a program (or all programs, or a cohort) now; emits KpiSnapshotTaken."""
    return await service.take_snapshot(session, Scope(body.program_id, body.cohort), settings=settings)


@router.get(
    "/programs/{program_id}/kpis/{name}/history",
    response_model=Page[KpiHistoryPoint],
    responses=problems(KpiNotFound),
)
async def kpi_history(
    program_id: UUID,
    name: Text,
    principal: AnalyticsRead,
    session: SessionDep,
    page: PageQuery,
    cohort: Cohort = None,
    start: Annotated[datetime | None, Query(alias="from", description="From this time (inclusive).")] = None,
    end: Annotated[datetime | None, Query(alias="to", description="Until this time (exclusive).")] = None,
) -> Page[KpiHistoryPoint]:
    """A KPI's snapshots for a program (or one of its cohorts), oldest first, paged."""
    points, total = await service.history(
        session, program_id, name, page, cohort=cohort, start=start, end=end
    )
    return page_of(points, total, page, lambda p: p)
