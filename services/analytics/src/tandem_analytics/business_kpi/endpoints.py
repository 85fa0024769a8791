import json
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError

from tandem_analytics.business_kpi import service
from tandem_analytics.business_kpi.auth import AnalyticsRead, AnalyticsWrite
from tandem_analytics.business_kpi.schemas import (
    CSV_COLUMNS,
    KPI_NAME_PATTERN,
    BusinessKpiImport,
    BusinessKpiValue,
    ImportResult,
    parse_csv,
    parse_json,
)
from tandem_analytics.vendor_platform.webhooks import inline_refs
from tandem_kit.db import SessionDep
from tandem_kit.errors import ProblemError, Unprocessable, validation_errors
from tandem_kit.fields import Text
from tandem_kit.openapi import problems
from tandem_kit.pagination import Page, PageQuery, page_of

router = APIRouter(prefix="/programs", tags=["business-kpis"])


class UnsupportedMediaType(ProblemError):
    status, code, title = 415, "unsupported-media-type", "Unsupported media type"


_SCHEMA = BusinessKpiImport.model_json_schema()
CSV_EXAMPLE = "kpi_name,period,cohort,region,value\ncsat,2026-Q4,,EMEA,74.5\n"
BODY_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": inline_refs(_SCHEMA, _SCHEMA.get("$defs", {}))},
            "text/csv": {
                "schema": {
                    "type": "string",
                    "description": f"A header line with columns {', '.join(CSV_COLUMNS)}.",
                },
                "example": CSV_EXAMPLE,
            },
        },
    }
}


async def _parsed(request: Request) -> BusinessKpiImport:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    if media == "text/csv":
        # Raised as a problem, not a RequestValidationError: the kit answers those for a non-JSON
        # body with 415, and a CSV is a body this route accepts.
        try:
            return parse_csv(body.decode("utf-8-sig"))
        except UnicodeDecodeError as exc:
            raise Unprocessable(
                "The CSV must be UTF-8.",
                errors=[{"detail": "not UTF-8", "code": "csv_encoding", "pointer": "#/"}],
            ) from exc
        except RequestValidationError as exc:
            errors = validation_errors(exc)
            raise Unprocessable(
                f"Invalid value at {errors[0]['pointer']}: {errors[0]['detail']}", errors=errors
            ) from exc
    if media == "application/json":
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise RequestValidationError(
                [{"type": "json_invalid", "loc": ("body",), "msg": "the body is not valid JSON"}]
            ) from exc
        return parse_json(data)
    raise UnsupportedMediaType("Send the values as application/json or text/csv.")


@router.post(
    "/{program_id}/business-kpis",
    response_model=ImportResult,
    openapi_extra=BODY_DOC,
    responses=problems(UnsupportedMediaType),
)
async def import_business_kpis(
    program_id: UUID, request: Request, principal: AnalyticsWrite, session: SessionDep
) -> ImportResult:
    """Import a program's business-KPI values (JSON or CSV); a row whose key exists replaces it."""
    return await service.import_values(session, principal, program_id, await _parsed(request))


@router.get("/{program_id}/business-kpis", response_model=Page[BusinessKpiValue])
async def list_business_kpis(
    program_id: UUID,
    principal: AnalyticsRead,
    session: SessionDep,
    params: PageQuery,
    kpi_name: Annotated[Text | None, Query(pattern=KPI_NAME_PATTERN, description="Only this KPI.")] = None,
) -> Page[BusinessKpiValue]:
    """A program's imported business-KPI values, by KPI, period and segment."""
    rows, total = await service.list_values(session, program_id, kpi_name=kpi_name, params=params)
    return page_of(rows, total, params, BusinessKpiValue.model_validate)
