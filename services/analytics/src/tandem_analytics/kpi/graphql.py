from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from tandem_analytics.kpi import schemas, service
from tandem_analytics.kpi.repository import Scope
from tandem_analytics.settings import Settings
from tandem_kit.errors import Unprocessable
from tandem_kit.graphql import (
    Page,
    exclusive_session,
    field,
    graphql_input,
    graphql_page,
    page_params,
    require_scope,
)
from tandem_kit.pagination import PageParams


@strawberry.federation.type(keys=["id"], description="A program KPI computed from stored facts.")
class KpiValue:
    id: strawberry.ID
    name: str
    title: str
    type: str
    program_id: strawberry.ID | None
    cohort: str | None
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
    target_6m: float | None
    target_12m: float | None
    amber_band: float
    better: str
    meets_target: bool | None
    frequency: str
    owner: str
    source: str
    formula: str
    computed_at: datetime

    @classmethod
    async def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> "KpiValue | None":
        program, _, rest = str(id).partition(":")
        name, _, cohort = rest.partition(":")
        values = await _loader(info).load((_program_id(program), cohort or None))
        return next((v for v in values if v.name == name), None)


@strawberry.federation.type(
    keys=["id"], description="One KPI as stored in a snapshot: a point of its history."
)
class KpiSnapshot:
    id: strawberry.ID
    snapshot_id: strawberry.ID
    name: str
    program_id: strawberry.ID | None
    cohort: str | None
    taken_at: datetime
    value: float | None
    status: str
    target: float | None
    baseline: float | None


@strawberry.type(description="A KPI's baseline, targets and amber band in force for a program.")
class KpiTarget:
    name: str
    baseline: float | None
    target_6m: float | None
    target_12m: float | None
    amber_band: float | None


@strawberry.type(description="A program's KPI settings.")
class KpiTargets:
    program_id: strawberry.ID
    started_on: date | None
    amber_band: float
    business_kpi: str
    targets: list[KpiTarget]


@strawberry.input(description="An override of one KPI's seed defaults (null keeps the default).")
class KpiTargetInput:
    name: str
    baseline: float | None = None
    target_6m: float | None = None
    target_12m: float | None = None
    amber_band: float | None = None


def to_graphql(v: schemas.KpiValue) -> KpiValue:
    data = v.model_dump()
    data["id"] = strawberry.ID(v.id)
    data["program_id"] = strawberry.ID(str(v.program_id)) if v.program_id else None
    return KpiValue(**data)


def point(p: schemas.KpiHistoryPoint) -> KpiSnapshot:
    return KpiSnapshot(
        id=strawberry.ID(f"{p.snapshot_id}:{p.name}"),
        snapshot_id=strawberry.ID(str(p.snapshot_id)),
        name=p.name,
        program_id=strawberry.ID(str(p.program_id)) if p.program_id else None,
        cohort=p.cohort,
        taken_at=p.taken_at,
        value=p.value,
        status=p.status,
        target=p.target,
        baseline=p.baseline,
    )


def targets_of(t: schemas.KpiTargets) -> KpiTargets:
    return KpiTargets(
        program_id=strawberry.ID(str(t.program_id)),
        started_on=t.started_on,
        amber_band=t.amber_band,
        business_kpi=t.business_kpi,
        targets=[KpiTarget(**o.model_dump()) for o in t.targets],
    )


def _program_id(raw: str | None) -> UUID | None:
    if raw is None or raw == schemas.ALL_PROGRAMS:
        return None
    try:
        return UUID(raw)
    except ValueError as exc:
        raise Unprocessable(f"programId {raw!r} is not a UUID.", parameter="programId") from exc


def _settings(info: Info[Any, Any]) -> Settings:
    settings: Settings = info.context["request"].app.state.settings
    return settings


ScopeKey = tuple[UUID | None, str | None]


def _loader(info: Info[Any, Any]) -> DataLoader[ScopeKey, list[KpiValue]]:
    """All KPIs of a scope, computed once per request however many entities ask for them."""
    loaders: dict[str, Any] = info.context["loaders"]
    if "kpis" not in loaders:
        require_scope(info, "analytics:read")
        settings = _settings(info)

        async def load(scopes: list[ScopeKey]) -> list[list[KpiValue]]:
            async with exclusive_session(info) as session:
                return [
                    [
                        to_graphql(v)
                        for v in await service.program_kpis(
                            session, program_id=p, cohort=c, settings=settings
                        )
                    ]
                    for p, c in scopes
                ]

        loaders["kpis"] = DataLoader(load_fn=load)
    loader: DataLoader[ScopeKey, list[KpiValue]] = loaders["kpis"]
    return loader


@strawberry.type
class KpiQuery:
    @field(description="Every KPI of a program (all programs when programId is omitted), or of a cohort.")
    async def kpis(
        self, info: Info[Any, Any], program_id: strawberry.ID | None = None, cohort: str | None = None
    ) -> list[KpiValue]:
        return await _loader(info).load((_program_id(program_id), cohort))

    @field(description="One KPI by name.")
    async def kpi(
        self,
        info: Info[Any, Any],
        name: str,
        program_id: strawberry.ID | None = None,
        cohort: str | None = None,
    ) -> KpiValue | None:
        values = await _loader(info).load((_program_id(program_id), cohort))
        return next((v for v in values if v.name == name), None)

    @field(description="A KPI's snapshots for a program (or cohort), oldest first, in [from, to).")
    async def kpi_history(
        self,
        info: Info[Any, Any],
        name: str,
        program_id: strawberry.ID | None = None,
        cohort: str | None = None,
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> Page[KpiSnapshot] | None:
        require_scope(info, "analytics:read")
        params: PageParams = page_params(limit, offset)
        async with exclusive_session(info) as session:
            points, total = await service.history(
                session, _program_id(program_id), name, params, cohort=cohort, start=from_, end=to
            )
        return graphql_page(points, total, params, point)

    @field(description="The baseline, targets and amber band in force for each KPI of a program.")
    async def kpi_targets(self, info: Info[Any, Any], program_id: strawberry.ID) -> KpiTargets:
        require_scope(info, "analytics:read")
        program = _program_id(program_id)
        if program is None:
            raise Unprocessable("programId must name one program.", parameter="programId")
        async with exclusive_session(info) as session:
            return targets_of(await service.get_targets(session, program))


@strawberry.type
class KpiMutation:
    @field(description="Replace a program's KPI overrides (the same as PUT .../kpi-targets).")
    async def set_kpi_targets(
        self,
        info: Info[Any, Any],
        program_id: strawberry.ID,
        started_on: date | None = None,
        amber_band: float | None = None,
        business_kpi: str | None = None,
        targets: list[KpiTargetInput] | None = None,
    ) -> KpiTargets:
        require_scope(info, "analytics:write")
        program = _program_id(program_id)
        if program is None:
            raise Unprocessable("programId must name one program.", parameter="programId")
        data = graphql_input(
            schemas.KpiTargetsUpdate,
            "input",
            {
                "started_on": started_on,
                "amber_band": amber_band,
                "business_kpi": business_kpi,
                "targets": [vars(t) for t in targets or []],
            },
        )
        async with exclusive_session(info) as session:
            return targets_of(await service.set_targets(session, program, data))

    @field(description="Snapshot every KPI of a program, all programs or a cohort now.")
    async def take_kpi_snapshot(
        self, info: Info[Any, Any], program_id: strawberry.ID | None = None, cohort: str | None = None
    ) -> list[KpiSnapshot]:
        require_scope(info, "analytics:write")
        data = graphql_input(
            schemas.KpiSnapshotCreate, "input", {"program_id": _program_id(program_id), "cohort": cohort}
        )
        async with exclusive_session(info) as session:
            taken = await service.take_snapshot(
                session, Scope(data.program_id, data.cohort), settings=_settings(info)
            )
        return [
            point(
                schemas.KpiHistoryPoint(
                    snapshot_id=taken.id,
                    name=k.name,
                    program_id=taken.program_id,
                    cohort=taken.cohort,
                    taken_at=taken.taken_at,
                    value=k.value,
                    status=k.status,
                    target=None,
                    baseline=None,
                )
            )
            for k in taken.kpis
        ]
