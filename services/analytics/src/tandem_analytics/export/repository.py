from collections.abc import Awaitable, Callable
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_analytics.export.domain import EXPORTS, Export, select_sql


async def upper_bound(session: AsyncSession) -> int:
    """Every transaction below this id has ended: its rows are all visible, none can still appear."""
    value = await session.scalar(text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text"))
    return int(value or 0)


async def copy_changed(
    session: AsyncSession,
    export: Export,
    *,
    since: int,
    upto: int,
    output: Callable[[bytes], Awaitable[None]],
) -> None:
    """The export's rows as CSV through COPY, in the session's transaction (no row becomes a Python
    object: Arrow parses the CSV)."""
    connection = await session.connection()
    raw = (await connection.get_raw_connection()).driver_connection
    assert raw is not None
    await raw.copy_from_query(select_sql(export), str(since), str(upto), output=output, format="csv")


async def touch_person(session: AsyncSession, person_id: UUID) -> int:
    """Mark every exported row about the person as changed (a consent change decides again whether
    the warehouse may keep them); rows touched."""
    touched = 0
    for export in EXPORTS.values():
        if export.person is None or not export.person.startswith("t."):
            continue
        column = export.person.removeprefix("t.")
        result = await session.execute(
            text(f"UPDATE {export.table} SET export_key = export_key WHERE {column} = :person"),
            {"person": person_id},
        )
        touched += int(getattr(result, "rowcount", 0) or 0)
    return touched
