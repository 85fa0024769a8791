from collections.abc import Iterator
from typing import IO, Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import StreamingResponse

from tandem_analytics.export import domain, service
from tandem_analytics.export.auth import AnalyticsExport
from tandem_analytics.export.service import ExportForClientsOnly, UnknownExportTable
from tandem_kit.db import SessionDep
from tandem_kit.fields import Text
from tandem_kit.openapi import problems

router = APIRouter(prefix="/export", tags=["export"])

PARQUET = "application/vnd.apache.parquet"
WATERMARK_HEADER = "X-Export-Watermark"


def _chunks(file: IO[bytes], size: int = 1024 * 1024) -> Iterator[bytes]:
    with file:
        while block := file.read(size):
            yield block


@router.get(
    "/{table}",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {PARQUET: {"schema": {"type": "string", "format": "binary"}}},
            "description": "A Parquet file: `export_key`, `_deleted`, then the table's columns. "
            f"`{WATERMARK_HEADER}` is the `since` of the next call; `X-Export-Rows` the rows in the file.",
        },
        **problems(ExportForClientsOnly, UnknownExportTable),
    },
)
async def export_table(
    table: Annotated[Text, Path(max_length=63, description=f"One of: {', '.join(domain.EXPORTS)}.")],
    principal: AnalyticsExport,
    session: SessionDep,
    since: Annotated[
        Text,
        Query(pattern=r"^[0-9]{1,19}$", description="The watermark the previous export returned; 0 for all."),
    ] = "0",
) -> StreamingResponse:
    """Rows of a fact table changed since a watermark, as Parquet, for the customer's warehouse."""
    written = await service.export_table(session, principal, table, since=int(since))
    return StreamingResponse(
        _chunks(written.file),
        media_type=PARQUET,
        headers={
            WATERMARK_HEADER: str(written.watermark),
            "X-Export-Rows": str(written.rows),
            "Content-Disposition": f'attachment; filename="{table}-{since}-{written.watermark}.parquet"',
        },
    )
