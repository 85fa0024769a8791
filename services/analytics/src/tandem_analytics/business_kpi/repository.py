from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Select, literal_column, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_analytics.models import BusinessKpiValue

KEY = ["program_id", "kpi_name", "period", "segment_kind", "segment"]


async def upsert(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> tuple[int, int]:
    """Insert or replace each value by its key; (created, replaced)."""
    statement = insert(BusinessKpiValue).values(list(rows))
    result: Any = await session.execute(
        statement.on_conflict_do_update(
            index_elements=KEY,
            set_={
                "value": statement.excluded.value,
                "imported_at": statement.excluded.imported_at,
                "imported_by": statement.excluded.imported_by,
            },
        ).returning(literal_column("xmax = 0"))  # xmax is 0 on a row this statement inserted
    )
    created = sum(1 for (inserted,) in result.tuples() if inserted)
    return created, len(rows) - created


def values_statement(program_id: UUID, kpi_name: str | None) -> Select[tuple[BusinessKpiValue]]:
    statement = select(BusinessKpiValue).where(BusinessKpiValue.program_id == program_id)
    if kpi_name is not None:
        statement = statement.where(BusinessKpiValue.kpi_name == kpi_name)
    return statement.order_by(
        BusinessKpiValue.kpi_name,
        BusinessKpiValue.period,
        BusinessKpiValue.segment_kind,
        BusinessKpiValue.segment,
    )
