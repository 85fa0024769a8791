"""The warehouse export (seed 004 §4: "treat the analytics warehouse as the system of truth"): one
Parquet file per table of the rows changed since the caller's watermark, and the next watermark.
See docs/analytics.md, "Export", for how a warehouse applies it and learns of erasures."""

import asyncio
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_analytics.export import domain, repository
from tandem_kit.auth import Principal
from tandem_kit.errors import Forbidden, NotFound

log = structlog.get_logger("tandem.analytics.export")

CHUNK = 50_000  # rows per Parquet row group and per fetch from the cursor
SPOOL_BYTES = 8 * 1024 * 1024  # a file larger than this goes to disk while it is written


class UnknownExportTable(NotFound):
    code, title = "export-table-not-found", "No such export table"


class ExportForClientsOnly(Forbidden):
    """The export is for the customer's warehouse loader, a machine client; never a person's token."""

    code, title = "export-for-clients-only", "Export is for machine clients"


@dataclass
class ExportFile:
    file: IO[bytes]
    rows: int
    watermark: int


def _batch(schema: pa.Schema, rows: Sequence[Any]) -> pa.RecordBatch:
    columns: list[Sequence[Any]] = list(zip(*rows, strict=True)) if rows else [[] for _ in schema]
    return pa.RecordBatch.from_arrays(
        [pa.array(values, type=field.type) for values, field in zip(columns, schema, strict=True)],
        schema=schema,
    )


def _write(writer: pq.ParquetWriter, schema: pa.Schema, rows: Sequence[Any]) -> None:
    writer.write_batch(_batch(schema, rows))


async def export_table(session: AsyncSession, principal: Principal, table: str, *, since: int) -> ExportFile:
    """Write the table's changes in [since, next watermark) to a Parquet file (rewound, to stream)."""
    if principal.person_id is not None:
        raise ExportForClientsOnly("The export is for machine clients, not a person's token.")
    export = domain.EXPORTS.get(table)
    if export is None:
        raise UnknownExportTable(
            f"No export table {table!r}; tables: {', '.join(domain.EXPORTS)}.", parameter="table"
        )
    upto = await repository.upper_bound(session)
    schema = domain.schema(export)
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
    writer = pq.ParquetWriter(out, schema, compression="zstd")
    rows = 0
    try:
        async for chunk in repository.changed_rows(
            session, export, since=since, upto=max(upto, since), chunk=CHUNK
        ):
            # Building columns and compressing is CPU work: off the event loop.
            await asyncio.to_thread(_write, writer, schema, chunk)
            rows += len(chunk)
        if rows == 0:
            await asyncio.to_thread(_write, writer, schema, [])
    finally:
        writer.close()
    out.seek(0)
    log.info(
        "analytics.export.written",
        table=table,
        rows=rows,
        since=since,
        watermark=max(upto, since),
        by=principal.subject,
    )
    return ExportFile(out, rows, max(upto, since))
