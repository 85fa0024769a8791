from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field, field_validator

from tandem_analytics.kpi.domain import CATALOG, KpiOutcome
from tandem_kit.fields import Text

ALL_PROGRAMS = "all"
StatusField = Literal["green", "amber", "red", "insufficient_data", "suppressed"]


def kpi_id(program_id: UUID | None, name: str, cohort: str | None = None) -> str:
    base = f"{program_id or ALL_PROGRAMS}:{name}"
    return f"{base}:{cohort}" if cohort else base


class KpiValue(BaseModel):
    id: str = Field(description="`{program_id}:{name}` (`all:{name}` across programs; `:{cohort}` appended).")
    name: str = Field(description="KPI name, e.g. `coach_utilization` (docs/analytics.md, KPI catalog).")
    title: str = Field(description="Human title.")
    type: Literal["operational", "experience", "leading", "lagging"] = Field(description="Kind of KPI.")
    program_id: UUID | None = Field(description="Program the KPI is computed for; null for all programs.")
    cohort: str | None = Field(
        description="Cohort (`YYYY-Qn` of first approval); null for the whole program."
    )
    value: float | None = Field(description="The figure; null when suppressed or without data.")
    numerator: float | None = Field(description="Numerator; null when suppressed.")
    denominator: float | None = Field(description="Denominator; null when suppressed.")
    unit: str = Field(description="Unit of the value (`fraction`, `coachees per coach`, `days`, ...).")
    status: StatusField = Field(
        description="green / amber / red against the target in force, or why no figure."
    )
    suppressed: bool = Field(description="True when the figure would describe too few people.")
    insufficient_data: bool = Field(description="True when there is nothing to compute from.")
    k: int = Field(description="k-anonymity threshold applied to this KPI (10 for survey-derived ones).")
    baseline: float | None = Field(description="Baseline in force (seed default or the program's).")
    target: float | None = Field(description="Target in force on the day (interpolated, see docs).")
    target_6m: float | None = Field(description="6-month target.")
    target_12m: float | None = Field(description="12-month target.")
    amber_band: float = Field(description="Amber band as a fraction of the baseline-to-target distance.")
    better: Literal["higher", "lower"] = Field(description="Which direction is an improvement.")
    meets_target: bool | None = Field(description="True when green; null without a figure.")
    frequency: Literal["monthly", "quarterly", "annually", "after_cohort"] = Field(
        description="How often the KPI is snapshotted."
    )
    owner: str = Field(description="Who owns the KPI (seed table).")
    source: str = Field(description="Where the data comes from.")
    formula: str = Field(description="How the value is computed.")
    computed_at: datetime = Field(description="When the value was computed (the snapshot time for history).")

    @classmethod
    def of(
        cls,
        outcome: KpiOutcome,
        *,
        program_id: UUID | None,
        cohort: str | None,
        k: int,
        computed_at: datetime,
    ) -> "KpiValue":
        d, t = outcome.definition, outcome.targets
        return cls(
            id=kpi_id(program_id, d.name, cohort),
            name=d.name,
            title=d.title,
            type=d.type,
            program_id=program_id,
            cohort=cohort,
            value=outcome.value,
            numerator=outcome.numerator,
            denominator=outcome.denominator,
            unit=d.unit,
            status=outcome.status,
            suppressed=outcome.status == "suppressed",
            insufficient_data=outcome.status == "insufficient_data",
            k=k,
            baseline=t.baseline,
            target=outcome.target,
            target_6m=t.target_6m,
            target_12m=t.target_12m,
            amber_band=t.amber_band,
            better=d.direction,
            meets_target=outcome.status == "green" if outcome.published else None,
            frequency=d.frequency,
            owner=d.owner,
            source=d.source,
            formula=d.formula,
            computed_at=computed_at,
        )


class KpiTargetOverride(BaseModel):
    name: Text = Field(description="KPI name from the catalog.", max_length=60)
    baseline: float | None = Field(default=None, description="Baseline; null keeps the seed default.")
    target_6m: float | None = Field(default=None, description="6-month target; null keeps the default.")
    target_12m: float | None = Field(default=None, description="12-month target; null keeps the default.")
    amber_band: float | None = Field(
        default=None, ge=0, le=1, description="Amber band (fraction of baseline-to-target); null: program's."
    )

    @field_validator("name")
    @classmethod
    def known(cls, name: str) -> str:
        if name not in CATALOG:
            raise ValueError(f"unknown KPI; known: {', '.join(CATALOG)}")
        return name


class KpiTargetsUpdate(BaseModel):
    started_on: date | None = Field(
        default=None, description="Program start: targets by date count from it (default: first approval)."
    )
    amber_band: float | None = Field(
        default=None, ge=0, le=1, description="Default amber band for every KPI (default 0.10)."
    )
    business_kpi: Text | None = Field(
        default=None,
        max_length=100,
        description="The imported business KPI this program is judged on (`csat`).",
    )
    targets: list[KpiTargetOverride] = Field(
        default_factory=list, max_length=len(CATALOG), description="Overrides, one per KPI (replaces all)."
    )

    @field_validator("targets")
    @classmethod
    def once_each(cls, targets: list[KpiTargetOverride]) -> list[KpiTargetOverride]:
        names = [t.name for t in targets]
        if len(set(names)) != len(names):
            raise ValueError("each KPI at most once")
        return targets


class KpiTargets(BaseModel):
    program_id: UUID = Field(description="The program.")
    started_on: date | None = Field(description="Program start used for targets by date.")
    amber_band: float = Field(description="Default amber band in force.")
    business_kpi: str = Field(description="The business KPI in force.")
    targets: list[KpiTargetOverride] = Field(description="Baseline, targets and band in force, per KPI.")


class KpiSnapshotCreate(BaseModel):
    program_id: UUID | None = Field(default=None, description="Program; null for all programs.")
    cohort: Text | None = Field(
        default=None, pattern=r"^[0-9]{4}-Q[1-4]$", description="Cohort `YYYY-Qn` (needs a program)."
    )


class KpiSnapshotItem(BaseModel):
    name: str = Field(description="KPI name.")
    value: float | None = Field(description="The figure; null when suppressed or without data.")
    status: StatusField = Field(description="Status at the snapshot.")


class KpiSnapshot(BaseModel):
    id: UUID = Field(description="Snapshot id.")
    program_id: UUID | None = Field(description="Program; null for all programs.")
    cohort: str | None = Field(description="Cohort; null for the whole program.")
    taken_at: datetime = Field(description="When it was taken.")
    trigger: Literal["scheduled", "on_demand"] = Field(description="Why it was taken.")
    kpis: list[KpiSnapshotItem] = Field(description="The KPIs in the snapshot.")


class KpiHistoryPoint(BaseModel):
    snapshot_id: UUID = Field(description="The snapshot this point comes from.")
    name: str = Field(description="KPI name.")
    program_id: UUID | None = Field(description="Program; null for all programs.")
    cohort: str | None = Field(description="Cohort; null for the whole program.")
    taken_at: datetime = Field(description="Snapshot time.")
    value: float | None = Field(description="The figure; null when suppressed or without data.")
    status: StatusField = Field(description="Status at the snapshot.")
    target: float | None = Field(description="Target in force at the snapshot.")
    baseline: float | None = Field(description="Baseline in force at the snapshot.")
