"""Business KPIs a program imports (the seed's "targeted business KPI", e.g. CSAT 72 -> 78): values
per period and segment, replaced by key on re-import. Aggregates only: no person is named."""

from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_analytics.business_kpi import repository
from tandem_analytics.business_kpi.schemas import BusinessKpiImport, ImportResult
from tandem_analytics.models import BusinessKpiValue
from tandem_kit.auth import Principal
from tandem_kit.pagination import PageParams, fetch_page

log = structlog.get_logger("tandem.analytics.business_kpi")

CHUNK = 2_000  # rows per INSERT: 8 columns each, far under PostgreSQL's 65,535 parameters


async def import_values(
    session: AsyncSession, principal: Principal, program_id: UUID, data: BusinessKpiImport
) -> ImportResult:
    now = datetime.now(UTC)
    rows = [
        {
            "program_id": program_id,
            "kpi_name": row.kpi_name,
            "period": row.period,
            "segment_kind": row.segment[0],
            "segment": row.segment[1],
            "value": row.value,
            "imported_at": now,
            "imported_by": principal.subject,
        }
        for row in data.rows
    ]
    created = replaced = 0
    for start in range(0, len(rows), CHUNK):
        new, old = await repository.upsert(session, rows[start : start + CHUNK])
        created, replaced = created + new, replaced + old
    log.info(
        "analytics.business_kpi.imported",
        program_id=str(program_id),
        created=created,
        replaced=replaced,
        by=principal.subject,
    )
    return ImportResult(program_id=program_id, created=created, replaced=replaced)


async def list_values(
    session: AsyncSession, program_id: UUID, *, kpi_name: str | None, params: PageParams
) -> tuple[Sequence[BusinessKpiValue], int]:
    return await fetch_page(session, repository.values_statement(program_id, kpi_name), params)
