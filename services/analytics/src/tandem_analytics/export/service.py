"""The warehouse export (seed 004 §4: "treat the analytics warehouse as the system of truth"): one
Parquet file per table of the rows changed since the caller's watermark, and the next watermark.
See docs/analytics.md, "Export", for how a warehouse applies it and learns of erasures."""

import asyncio
import tempfile
from dataclasses import dataclass
from typing import IO

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_analytics.export import domain, repository
from tandem_kit.auth import Principal
from tandem_kit.errors import Forbidden, NotFound

log = structlog.get_logger("tandem.analytics.export")

BLOCK_BYTES = 16 * 1024 * 1024  # CSV parsed (and Parquet written) this much at a time
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


def to_parquet(csv: IO[bytes], export: domain.Export) -> tuple[IO[bytes], int]:
    """Parse the CSV PostgreSQL wrote (Arrow's C++ reader) and write it as Parquet, batch by batch."""
    schema = domain.schema(export)
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
    rows = 0
    with pq.ParquetWriter(out, schema, compression="zstd") as writer:
        if csv.tell() > 0:
            csv.seek(0)
            reader = pa_csv.open_csv(
                csv,
                read_options=pa_csv.ReadOptions(column_names=schema.names, block_size=BLOCK_BYTES),
                convert_options=pa_csv.ConvertOptions(
                    column_types=domain.csv_types(export),
                    strings_can_be_null=True,
                    quoted_strings_can_be_null=False,  # PostgreSQL quotes an empty string, not a NULL
                    true_values=["t"],
                    false_values=["f"],
                ),
            )
            for batch in reader:
                columns = [
                    column.cast(field.type) for column, field in zip(batch.columns, schema, strict=True)
                ]
                writer.write_batch(pa.RecordBatch.from_arrays(columns, schema=schema))
                rows += batch.num_rows
        else:
            writer.write_table(schema.empty_table())
    out.seek(0)
    return out, rows


async def export_table(session: AsyncSession, principal: Principal, table: str, *, since: int) -> ExportFile:
    """Write the table's changes in [since, next watermark) to a Parquet file (rewound, to stream)."""
    if principal.person_id is not None:
        raise ExportForClientsOnly("The export is for machine clients, not a person's token.")
    export = domain.EXPORTS.get(table)
    if export is None:
        raise UnknownExportTable(
            f"No export table {table!r}; tables: {', '.join(domain.EXPORTS)}.", parameter="table"
        )
    upto = max(await repository.upper_bound(session), since)
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as csv:

        async def spool(data: bytes) -> None:
            csv.write(data)

        await repository.copy_changed(session, export, since=since, upto=upto, output=spool)
        # Parsing and compressing is CPU work: off the event loop.
        out, rows = await asyncio.to_thread(to_parquet, csv, export)
    log.info(
        "analytics.export.written",
        table=table,
        rows=rows,
        since=since,
        watermark=upto,
        by=principal.subject,
    )
    return ExportFile(out, rows, upto)
