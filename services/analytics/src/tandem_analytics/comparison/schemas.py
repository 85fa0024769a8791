from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, Field, field_validator

from tandem_kit.fields import Text

PERIOD = r"^[0-9]{4}-(0[1-9]|1[0-2]|Q[1-4])$"
Period = Annotated[Text, Field(pattern=PERIOD, description="`YYYY-MM` or `YYYY-Qn`.")]


class BandSet(BaseModel):
    person_id: UUID = Field(description="The person.")
    band: Text = Field(
        min_length=1, max_length=40, description="The program's project-complexity band, e.g. `high`."
    )


class ComplexityBandsPut(BaseModel):
    bands: list[BandSet] = Field(
        min_length=1, max_length=1000, description="Bands to set (a person already banded is updated)."
    )

    @field_validator("bands")
    @classmethod
    def _once(cls, bands: list[BandSet]) -> list[BandSet]:
        if len({b.person_id for b in bands}) != len(bands):
            raise ValueError("each person may appear once")
        return bands


class ComplexityBand(BaseModel):
    person_id: UUID = Field(description="The person.")
    band: str = Field(description="The project-complexity band.")


class BandsUpdated(BaseModel):
    updated: int = Field(description="How many people's band was set.")


class Effect(BaseModel):
    participant_value: float | None = Field(description="The participants' value (rate or mean change).")
    comparison_value: float | None = Field(description="The matched comparison group's value (weighted).")
    effect: float | None = Field(description="Participants minus comparison: the estimated effect.")
    ci_low: float | None = Field(description="Lower bound of the 95% confidence interval (HC1-robust).")
    ci_high: float | None = Field(description="Upper bound of the 95% confidence interval.")
    status: Literal["ok", "suppressed", "insufficient_data"] = Field(
        description="`suppressed`: a group is smaller than k; `insufficient_data`: nothing to compare."
    )


class PromotionComparison(Effect):
    participants: int | None = Field(description="Participants in the analysis (null below k).")
    comparison_pool: int | None = Field(description="Non-participants in the analysis (null below k).")
    matched_participants: int | None = Field(
        description="Participants in a stratum with a comparison (null below k)."
    )
    matched_comparisons: int | None = Field(
        description="Non-participants in a stratum with a participant (null below k)."
    )
    strata: int = Field(description="Strata kept (both groups present).")


class KpiComparison(Effect):
    name: str = Field(description="The business KPI.")
    segment_kind: str = Field(description="`cohort` or `region`: the imports' segments compared.")
    baseline_period: str = Field(description="The period before.")
    follow_up_period: str = Field(description="The period after.")
    participant_segments: int = Field(description="Participants' segments with both values.")
    comparison_segments: int = Field(description="Other segments with both values.")


class Comparison(BaseModel):
    program_id: UUID = Field(description="The program.")
    since: date = Field(description="Start of the window: covariates are taken on this day.")
    until: date = Field(description="End of the window (exclusive): promotions in [since, until) count.")
    method: Literal["coarsened_exact_matching"] = Field(description="How the groups were matched.")
    covariates: list[str] = Field(description="What people were matched on.")
    k: int = Field(description="k-anonymity threshold in force.")
    promotion: PromotionComparison = Field(description="Effect on the promotion rate.")
    business_kpi: KpiComparison | None = Field(
        description="Effect on the business KPI, per segment (no per-person values exist): difference in "
        "differences between the participants' segments and the others. Null when not asked for."
    )


class KpiAsk(BaseModel):
    """Which business KPI to compare, per segment, and where the participants are."""

    name: Text = Field(min_length=1, max_length=100, description="The business KPI, e.g. `csat`.")
    segment_kind: Literal["cohort", "region"] = Field(description="Which imported segments to compare.")
    participant_segments: list[Annotated[Text, Field(max_length=100)]] = Field(
        min_length=1, max_length=100, description="The segments the participants work in."
    )
    baseline_period: Period = Field(description="The period before the program.")
    follow_up_period: Period = Field(description="The period after.")


class ComparisonAsk(BaseModel):
    since: date = Field(
        description="Start of the window: covariates (level, department, tenure) on this day."
    )
    until: date = Field(description="End of the window (exclusive): promotions in [since, until) count.")
    kpi: KpiAsk | None = Field(default=None, description="The business KPI to compare per segment, if any.")
