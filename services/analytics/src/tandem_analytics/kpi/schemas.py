from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from tandem_analytics.kpi.domain import KpiOutcome

ALL_PROGRAMS = "all"


def kpi_id(program_id: UUID | None, name: str) -> str:
    return f"{program_id or ALL_PROGRAMS}:{name}"


class KpiValue(BaseModel):
    id: str = Field(description="`{program_id}:{name}` (`all:{name}` across programs).")
    name: str = Field(description="KPI name, e.g. `coach_utilization`.")
    title: str = Field(description="Human title.")
    program_id: UUID | None = Field(description="Program the KPI is computed for; null for all programs.")
    value: float | None = Field(description="numerator / denominator; null when suppressed or no data.")
    numerator: float | None = Field(description="Numerator; null when suppressed.")
    denominator: float | None = Field(description="Denominator; null when suppressed.")
    unit: str = Field(description="Unit of the value (`fraction`, `coachees per coach`, `days`).")
    status: Literal["ok", "insufficient_data", "suppressed"] = Field(description="Whether a value is given.")
    suppressed: bool = Field(description="True when fewer than `k` people are behind the figure.")
    insufficient_data: bool = Field(description="True when the denominator is 0.")
    k: int = Field(description="k-anonymity threshold in force.")
    baseline: float | None = Field(description="Seed baseline (null when the seed gives none).")
    target: float | None = Field(description="Seed 12-month target or SLA (null when the seed gives none).")
    better: Literal["higher", "lower"] = Field(description="Which direction is an improvement.")
    meets_target: bool | None = Field(description="Value compared with target; null when either is missing.")
    formula: str = Field(description="How the value is computed.")
    computed_at: datetime = Field(description="When the value was computed from the stored facts.")

    @classmethod
    def of(cls, outcome: KpiOutcome, *, program_id: UUID | None, k: int, computed_at: datetime) -> "KpiValue":
        d = outcome.definition
        return cls(
            id=kpi_id(program_id, d.name),
            name=d.name,
            title=d.title,
            program_id=program_id,
            value=outcome.value,
            numerator=outcome.numerator,
            denominator=outcome.denominator,
            unit=d.unit,
            status=outcome.status,
            suppressed=outcome.status == "suppressed",
            insufficient_data=outcome.status == "insufficient_data",
            k=k,
            baseline=d.baseline,
            target=d.target,
            better=d.better,
            meets_target=outcome.meets_target,
            formula=d.formula,
            computed_at=computed_at,
        )
