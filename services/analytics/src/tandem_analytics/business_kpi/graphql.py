from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar, cast

import strawberry
from pydantic import ValidationError
from strawberry.types import Info

from tandem_analytics.business_kpi import service
from tandem_analytics.business_kpi.schemas import BusinessKpiImport, BusinessKpiValue, duplicates
from tandem_kit.errors import Unprocessable, json_pointer
from tandem_kit.graphql import (
    Page,
    exclusive_session,
    field,
    graphql_page,
    page_params,
    parse_id,
    require_scope,
)

F = TypeVar("F", bound=Callable[..., Any])


@strawberry.input(description="One business-KPI value: a month or quarter, the whole program or one segment.")
class BusinessKpiRowInput:
    kpi_name: str = strawberry.field(description="The KPI, snake case, e.g. `csat`.")
    period: str = strawberry.field(description="`YYYY-MM` or `YYYY-Qn`.")
    value: float = strawberry.field(description="The value.")
    cohort: str | None = strawberry.field(default=None, description="The cohort (or none).")
    region: str | None = strawberry.field(default=None, description="The region (or none).")


@strawberry.type(description="What an import did.")
class BusinessKpiImportResult:
    program_id: strawberry.ID
    created: int
    replaced: int


@strawberry.type(description="One imported business-KPI value.")
class BusinessKpiEntry:
    kpi_name: str
    period: str
    segment_kind: str
    segment: str
    value: float
    imported_at: datetime


def mutation(*, description: str) -> Callable[[F], F]:
    """`strawberry.mutation(description=...)` as a typed decorator (like the kit's `field`)."""
    return cast(Callable[[F], F], strawberry.mutation(description=description))


def _program(raw: strawberry.ID) -> Any:
    program_id = parse_id(raw)
    if program_id is None:
        raise Unprocessable(f"programId {raw!r} is not a UUID.", parameter="programId")
    return program_id


def _import(rows: list[BusinessKpiRowInput]) -> BusinessKpiImport:
    """The REST body's model and rules; errors point at `#/rows/<index>/<field>` as REST does."""
    try:
        data = BusinessKpiImport.model_validate({"rows": [vars(r) for r in rows]})
    except ValidationError as exc:
        errors = [
            {"detail": e["msg"], "code": e["type"], "pointer": json_pointer(e["loc"])}
            for e in exc.errors(include_url=False, include_context=False, include_input=False)
        ]
    else:
        errors = [
            {
                "detail": f"same kpi_name, period and segment as row {first}",
                "code": "duplicate_key",
                "pointer": f"#/rows/{index}",
            }
            for index, first in duplicates(data)
        ]
        if not errors:
            return data
    raise Unprocessable(f"Invalid value at {errors[0]['pointer']}: {errors[0]['detail']}", errors=errors)


@strawberry.type
class BusinessKpiQuery:
    @field(description="A program's imported business-KPI values, by KPI, period and segment.")
    async def business_kpis(
        self,
        info: Info[Any, Any],
        program_id: strawberry.ID,
        kpi_name: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> Page[BusinessKpiEntry]:
        require_scope(info, "analytics:read")
        params = page_params(limit, offset)
        async with exclusive_session(info) as session:
            rows, total = await service.list_values(
                session, _program(program_id), kpi_name=kpi_name, params=params
            )
        return graphql_page(
            rows, total, params, lambda r: BusinessKpiEntry(**BusinessKpiValue.model_validate(r).model_dump())
        )


@strawberry.type
class BusinessKpiMutation:
    @mutation(description="Import a program's business-KPI values; a row whose key exists replaces it.")
    async def import_business_kpis(
        self, info: Info[Any, Any], program_id: strawberry.ID, rows: list[BusinessKpiRowInput]
    ) -> BusinessKpiImportResult:
        principal = require_scope(info, "analytics:write")
        data = _import(rows)
        async with exclusive_session(info) as session:
            result = await service.import_values(session, principal, _program(program_id), data)
        return BusinessKpiImportResult(
            program_id=strawberry.ID(str(result.program_id)), created=result.created, replaced=result.replaced
        )
