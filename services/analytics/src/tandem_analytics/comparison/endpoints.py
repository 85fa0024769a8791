from uuid import UUID

from fastapi import APIRouter

from tandem_analytics.auth import AnalyticsRead, AnalyticsWrite
from tandem_analytics.comparison import schemas, service
from tandem_analytics.comparison.service import InvalidWindow
from tandem_analytics.settings import SettingsDep
from tandem_kit.db import SessionDep
from tandem_kit.openapi import problems
from tandem_kit.pagination import Page, PageQuery, page_of

router = APIRouter(prefix="/programs", tags=["comparison"])


@router.post(
    "/{program_id}/comparisons",
    response_model=schemas.Comparison,
    responses=problems(InvalidWindow),
)
async def compare(
    program_id: UUID,
    ask: schemas.ComparisonAsk,
    principal: AnalyticsRead,
    session: SessionDep,
    settings: SettingsDep,
) -> schemas.Comparison:
    """Participants against matched non-participants: effect on promotion rate and a business KPI."""
    return await service.compare(session, program_id, ask, k=settings.kpi_min_population)


@router.put("/{program_id}/complexity-bands", response_model=schemas.BandsUpdated)
async def set_complexity_bands(
    program_id: UUID, data: schemas.ComplexityBandsPut, principal: AnalyticsWrite, session: SessionDep
) -> schemas.BandsUpdated:
    """Set people's project-complexity band for the program (a matching covariate)."""
    return await service.set_bands(session, program_id, data)


@router.get("/{program_id}/complexity-bands", response_model=Page[schemas.ComplexityBand])
async def list_complexity_bands(
    program_id: UUID, principal: AnalyticsRead, session: SessionDep, page: PageQuery
) -> Page[schemas.ComplexityBand]:
    """The program's complexity bands the caller may see (a person sees their own)."""
    items, total = await service.list_bands(session, principal, program_id, page)
    return page_of(items, total, page, lambda b: b)
