from datetime import datetime
from typing import Any
from uuid import UUID

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from tandem_analytics.kpi import schemas, service
from tandem_analytics.settings import Settings
from tandem_kit.errors import Unprocessable
from tandem_kit.graphql import exclusive_session, field, require_scope


@strawberry.federation.type(keys=["id"], description="A program KPI computed from stored facts.")
class KpiValue:
    id: strawberry.ID
    name: str
    title: str
    program_id: strawberry.ID | None
    value: float | None
    numerator: float | None
    denominator: float | None
    unit: str
    status: str
    suppressed: bool
    insufficient_data: bool
    k: int
    baseline: float | None
    target: float | None
    better: str
    meets_target: bool | None
    formula: str
    computed_at: datetime

    @classmethod
    async def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> "KpiValue | None":
        program, _, name = str(id).partition(":")
        values = await _loader(info).load(_program_id(program))
        return next((v for v in values if v.name == name), None)


def to_graphql(v: schemas.KpiValue) -> KpiValue:
    return KpiValue(
        id=strawberry.ID(v.id),
        name=v.name,
        title=v.title,
        program_id=strawberry.ID(str(v.program_id)) if v.program_id else None,
        value=v.value,
        numerator=v.numerator,
        denominator=v.denominator,
        unit=v.unit,
        status=v.status,
        suppressed=v.suppressed,
        insufficient_data=v.insufficient_data,
        k=v.k,
        baseline=v.baseline,
        target=v.target,
        better=v.better,
        meets_target=v.meets_target,
        formula=v.formula,
        computed_at=v.computed_at,
    )


def _program_id(raw: str | None) -> UUID | None:
    if raw is None or raw == schemas.ALL_PROGRAMS:
        return None
    try:
        return UUID(raw)
    except ValueError as exc:
        raise Unprocessable(f"programId {raw!r} is not a UUID.", parameter="programId") from exc


def _loader(info: Info[Any, Any]) -> DataLoader[UUID | None, list[KpiValue]]:
    """All KPIs of a program, computed once per request however many entities ask for them."""
    loaders: dict[str, Any] = info.context["loaders"]
    if "kpis" not in loaders:
        require_scope(info, "analytics:read")
        settings: Settings = info.context["request"].app.state.settings

        async def load(programs: list[UUID | None]) -> list[list[KpiValue]]:
            async with exclusive_session(info) as session:
                return [
                    [
                        to_graphql(v)
                        for v in await service.program_kpis(session, program_id=p, settings=settings)
                    ]
                    for p in programs
                ]

        loaders["kpis"] = DataLoader(load_fn=load)
    loader: DataLoader[UUID | None, list[KpiValue]] = loaders["kpis"]
    return loader


@strawberry.type
class KpiQuery:
    @field(description="Every KPI of a program (all programs when programId is omitted).")
    async def kpis(self, info: Info[Any, Any], program_id: strawberry.ID | None = None) -> list[KpiValue]:
        return await _loader(info).load(_program_id(program_id))

    @field(description="One KPI by name.")
    async def kpi(
        self, info: Info[Any, Any], name: str, program_id: strawberry.ID | None = None
    ) -> KpiValue | None:
        values = await _loader(info).load(_program_id(program_id))
        return next((v for v in values if v.name == name), None)
