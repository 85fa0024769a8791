from datetime import date
from typing import Any
from uuid import UUID

import strawberry
from strawberry.types import Info

from tandem_analytics.comparison import schemas, service
from tandem_analytics.settings import Settings
from tandem_kit.graphql import exclusive_session, field, graphql_input, require_scope


@strawberry.type(
    description="The effect on the promotion rate, participants against matched non-participants."
)
class PromotionComparison:
    participants: int | None
    comparison_pool: int | None
    matched_participants: int | None
    matched_comparisons: int | None
    strata: int
    participant_value: float | None
    comparison_value: float | None
    effect: float | None
    ci_low: float | None
    ci_high: float | None
    status: str


@strawberry.type(description="The effect on a business KPI per segment (difference in differences).")
class KpiComparison:
    name: str
    segment_kind: str
    baseline_period: str
    follow_up_period: str
    participant_segments: int
    comparison_segments: int
    participant_value: float | None
    comparison_value: float | None
    effect: float | None
    ci_low: float | None
    ci_high: float | None
    status: str


@strawberry.type(description="Participants against matched non-participants (coarsened exact matching).")
class MatchedComparison:
    program_id: strawberry.ID
    since: date
    until: date
    method: str
    covariates: list[str]
    k: int
    promotion: PromotionComparison
    business_kpi: KpiComparison | None


@strawberry.input(description="Which business KPI to compare per segment, and the participants' segments.")
class KpiAskInput:
    name: str
    segment_kind: str
    participant_segments: list[str]
    baseline_period: str
    follow_up_period: str


def to_graphql(c: schemas.Comparison) -> MatchedComparison:
    return MatchedComparison(
        program_id=strawberry.ID(str(c.program_id)),
        since=c.since,
        until=c.until,
        method=c.method,
        covariates=c.covariates,
        k=c.k,
        promotion=PromotionComparison(**c.promotion.model_dump()),
        business_kpi=KpiComparison(**c.business_kpi.model_dump()) if c.business_kpi else None,
    )


@strawberry.type
class ComparisonQuery:
    @field(description="Participants of a program against matched non-participants over [since, until).")
    async def matched_comparison(
        self,
        info: Info[Any, Any],
        program_id: UUID,
        since: date,
        until: date,
        kpi: KpiAskInput | None = None,
    ) -> MatchedComparison | None:
        require_scope(info, "analytics:read")
        ask = graphql_input(
            schemas.ComparisonAsk,
            "input",
            {"since": since, "until": until, "kpi": vars(kpi) if kpi is not None else None},
        )
        settings: Settings = info.context["request"].app.state.settings
        async with exclusive_session(info) as session:
            result = await service.compare(session, program_id, ask, k=settings.kpi_min_population)
        return to_graphql(result)


@strawberry.type
class ComparisonMutation:
    @field(description="Set people's project-complexity band for a program (a matching covariate).")
    async def set_complexity_bands(
        self, info: Info[Any, Any], program_id: UUID, person_ids: list[UUID], band: str
    ) -> int:
        require_scope(info, "analytics:write")
        data = graphql_input(
            schemas.ComplexityBandsPut,
            "input",
            {"bands": [{"person_id": p, "band": band} for p in person_ids]},
        )
        async with exclusive_session(info) as session:
            return (await service.set_bands(session, program_id, data)).updated
