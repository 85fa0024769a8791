from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from tandem_analytics.kpi import service
from tandem_analytics.kpi.auth import AnalyticsRead
from tandem_analytics.kpi.schemas import KpiValue
from tandem_analytics.kpi.service import KpiNotFound
from tandem_analytics.settings import SettingsDep
from tandem_kit.db import SessionDep
from tandem_kit.fields import Text
from tandem_kit.openapi import problems

router = APIRouter(prefix="/kpis", tags=["kpis"])

ProgramId = Annotated[UUID | None, Query(description="Program to compute for; omit for all programs.")]


@router.get("", response_model=list[KpiValue])
async def list_kpis(
    principal: AnalyticsRead, session: SessionDep, settings: SettingsDep, program_id: ProgramId = None
) -> list[KpiValue]:
    """All program KPIs computed from the stored facts (aggregates, k-anonymous)."""
    return await service.program_kpis(session, program_id=program_id, settings=settings)


@router.get("/{name}", response_model=KpiValue, responses=problems(KpiNotFound))
async def get_kpi(
    name: Text,
    principal: AnalyticsRead,
    session: SessionDep,
    settings: SettingsDep,
    program_id: ProgramId = None,
) -> KpiValue:
    """One KPI by name."""
    return await service.get_kpi(session, name, program_id=program_id, settings=settings)
