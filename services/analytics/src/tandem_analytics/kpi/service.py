from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from tandem_analytics.kpi import domain, repository
from tandem_analytics.kpi.schemas import KpiValue
from tandem_analytics.settings import Settings
from tandem_kit.errors import NotFound


class KpiNotFound(NotFound):
    code, title = "kpi-not-found", "KPI not found"


async def program_kpis(
    session: AsyncSession, *, program_id: UUID | None, settings: Settings
) -> list[KpiValue]:
    """Every KPI for one program (or all), computed now from the stored facts. Aggregates only."""
    now = datetime.now(UTC)
    counts = await repository.program_counts(session, program_id, now=now)
    k = settings.kpi_min_population
    return [
        KpiValue.of(outcome, program_id=program_id, k=k, computed_at=now)
        for outcome in domain.compute(counts, k=k)
    ]


async def get_kpi(
    session: AsyncSession, name: str, *, program_id: UUID | None, settings: Settings
) -> KpiValue:
    if name not in domain.DEFINITIONS:
        raise KpiNotFound(f"No KPI named {name!r}; known: {', '.join(domain.DEFINITIONS)}.", parameter="name")
    values = await program_kpis(session, program_id=program_id, settings=settings)
    return next(v for v in values if v.name == name)
