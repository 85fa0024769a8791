from datetime import date, datetime, timedelta
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field, field_validator

from tandem_analytics.models.pilot import GateEvaluation as GateEvaluationRow
from tandem_analytics.models.pilot import Pilot as PilotRow
from tandem_analytics.models.pilot import PilotDecision as PilotDecisionRow
from tandem_analytics.models.pilot import PilotMeasure as PilotMeasureRow
from tandem_analytics.models.pilot import PilotMitigation as PilotMitigationRow
from tandem_analytics.pilot import domain
from tandem_kit.fields import Int4, Text

GateName = Literal[
    "week_2",
    "week_4",
    "week_6",
    "week_9",
    "week_12",
    "week_15",
    "week_16",
    "week_19",
    "week_24",
    "day_60",
    "day_120",
]
DecisionKind = Literal["go", "go_with_mitigations", "extend", "stop"]


class LinkedKpi(BaseModel):
    name: Text = Field(
        min_length=1, max_length=100, description="Business-KPI name as imported, e.g. `csat`."
    )
    better: Literal["higher", "lower"] = Field(
        default="higher", description="Which direction is an improvement."
    )
    segment_kind: Literal["program", "cohort", "region"] = Field(
        default="program",
        description="Which imported values to read: the whole program's, a cohort's or a region's.",
    )
    segment: Text = Field(
        default="", max_length=100, description="The cohort or region name ('' for the program)."
    )


class PilotCreate(BaseModel):
    program_id: UUID = Field(description="The program the pilot runs in.")
    sponsor_id: UUID = Field(description="The business sponsor (person id) with budget authority.")
    start_date: date = Field(description="Day 0 of the 24-week timeline; gate dates count from it.")
    cohort: list[UUID] = Field(
        min_length=domain.COHORT_MIN,
        max_length=domain.COHORT_MAX,
        description=f"The cohort's leaders (person ids), {domain.COHORT_MIN} to {domain.COHORT_MAX}, each once.",
    )
    linked_kpis: list[LinkedKpi] = Field(
        default_factory=list,
        max_length=10,
        description="Transformation (business) KPIs the pilot must move; the go/no-go reads their imports.",
    )

    @field_validator("cohort")
    @classmethod
    def _distinct(cls, cohort: list[UUID]) -> list[UUID]:
        if len(set(cohort)) != len(cohort):
            raise ValueError("each person may appear once in the cohort")
        return cohort


class GateDate(BaseModel):
    gate: GateName = Field(
        description="Gate name (`week_2` ... `week_24`, early signals `day_60`, `day_120`)."
    )
    title: str = Field(description="What the gate checks (seed 004 §7).")
    due_on: date = Field(description="The gate's date: start date plus its weeks (or days).")


class Pilot(BaseModel):
    id: UUID = Field(description="Pilot id.")
    program_id: UUID = Field(description="The program the pilot runs in.")
    sponsor_id: UUID = Field(description="The business sponsor (person id).")
    start_date: date = Field(description="Day 0 of the timeline.")
    end_date: date = Field(description="The end of the 24 weeks (the go/no-go gate).")
    cohort_size: int = Field(description="Number of leaders in the cohort.")
    cohort: list[UUID] = Field(description="The cohort's person ids.")
    linked_kpis: list[LinkedKpi] = Field(description="Linked transformation (business) KPIs.")
    timeline: list[GateDate] = Field(description="Every gate with its date, in order.")
    created_by: str = Field(description="Who created the charter (person or client id).")
    created_at: datetime = Field(description="When the charter was created.")

    @classmethod
    def of(cls, row: PilotRow, cohort: list[UUID]) -> "Pilot":
        return cls(
            id=row.id,
            program_id=row.program_id,
            sponsor_id=row.sponsor_id,
            start_date=row.start_date,
            end_date=row.start_date + timedelta(weeks=domain.PILOT_WEEKS),
            cohort_size=len(cohort),
            cohort=sorted(cohort),
            linked_kpis=[LinkedKpi.model_validate(k) for k in row.linked_kpis],
            timeline=[
                GateDate(gate=spec.gate, title=spec.title, due_on=when)
                for spec, when in domain.timeline(row.start_date)
            ],
            created_by=row.created_by,
            created_at=row.created_at,
        )


class GateEvaluate(BaseModel):
    as_of: date | None = Field(
        default=None,
        description="Evaluate the data as of this day (default: today, UTC); not before the gate.",
    )


class Criterion(BaseModel):
    name: str = Field(description="What is checked, e.g. `attendance_rate`.")
    standing: Literal["met", "partial", "unmet", "missing"] = Field(
        description="`missing`: no data, or suppressed below k."
    )
    value: float | None = Field(description="The measured value; null when missing.")
    bar: str = Field(description="The bar to meet, e.g. `>= 0.8`.")


class GateEvaluation(BaseModel):
    id: UUID = Field(description="Evaluation id.")
    pilot_id: UUID = Field(description="The pilot.")
    gate: GateName = Field(description="The gate evaluated.")
    as_of: date = Field(description="The day whose data was evaluated.")
    verdict: Literal["green", "amber", "red"] = Field(
        description="green: every criterion met; amber: partial progress with mitigations recorded; "
        "red: insufficient evidence."
    )
    evidence: dict[str, float | None] = Field(
        description="The numbers behind the verdict; counts of people below k (and rates built on them) are null."
    )
    criteria: list[Criterion] = Field(description="Each criterion of the gate with its standing.")
    evaluated_by: str = Field(
        description="Who asked for the evaluation (person or client id, or `scheduler`)."
    )
    evaluated_at: datetime = Field(description="When it was evaluated.")

    @classmethod
    def of(cls, row: GateEvaluationRow) -> "GateEvaluation":
        return cls.model_validate(row, from_attributes=True)


class MitigationCreate(BaseModel):
    gate: GateName | None = Field(default=None, description="The gate it answers, if one.")
    text: Text = Field(min_length=1, max_length=2000, description="The mitigation (stays in analytics).")
    recorded_on: date | None = Field(default=None, description="The day it was agreed (default: today, UTC).")


class Mitigation(BaseModel):
    id: UUID = Field(description="Mitigation id.")
    pilot_id: UUID = Field(description="The pilot.")
    gate: GateName | None = Field(description="The gate it answers, if one.")
    text: str = Field(description="The mitigation.")
    recorded_on: date = Field(
        description="The day it was agreed; gates evaluated as of that day on count it."
    )
    recorded_by: str = Field(description="Who recorded it.")

    @classmethod
    def of(cls, row: PilotMitigationRow) -> "Mitigation":
        return cls.model_validate(row, from_attributes=True)


class MeasureCreate(BaseModel):
    indicator: Text = Field(
        min_length=1, max_length=100, description="The behaviour indicator, e.g. `escalation_hygiene`."
    )
    phase: Literal["baseline", "follow_up"] = Field(
        description="Baseline (week 5) or a follow-up (e.g. week 17)."
    )
    mean: float = Field(ge=-1e6, le=1e6, description="The cohort's mean score on the indicator.")
    respondents: Int4 = Field(ge=0, description="How many people the mean is over (below k it is not used).")
    measured_on: date = Field(description="When it was measured.")


class Measure(BaseModel):
    id: UUID = Field(description="Measure id.")
    pilot_id: UUID = Field(description="The pilot.")
    indicator: str = Field(description="The behaviour indicator.")
    phase: Literal["baseline", "follow_up"] = Field(description="Baseline or follow-up.")
    mean: float = Field(description="The cohort's mean score.")
    respondents: int = Field(description="How many people the mean is over.")
    measured_on: date = Field(description="When it was measured.")

    @classmethod
    def of(cls, row: PilotMeasureRow) -> "Measure":
        return cls.model_validate(row, from_attributes=True)


class DecisionCreate(BaseModel):
    gate: GateName = Field(description="The gate the decision is taken at.")
    decision: DecisionKind = Field(description="`go`, `go_with_mitigations`, `extend` or `stop`.")
    rationale: Text = Field(min_length=1, max_length=4000, description="Why (stays in analytics).")
    evaluation_id: UUID | None = Field(default=None, description="The gate evaluation the decision rests on.")


class Decision(BaseModel):
    id: UUID = Field(description="Decision id.")
    pilot_id: UUID = Field(description="The pilot.")
    gate: GateName = Field(description="The gate.")
    decision: DecisionKind = Field(description="The decision.")
    rationale: str = Field(description="Why.")
    evaluation_id: UUID | None = Field(description="The gate evaluation it rests on.")
    decided_by: str = Field(description="Who decided (person id, or client id for a machine).")
    decided_at: datetime = Field(description="When.")

    @classmethod
    def of(cls, row: PilotDecisionRow) -> "Decision":
        return cls.model_validate(row, from_attributes=True)


def criteria_json(criteria: list[domain.Criterion]) -> list[dict[str, Any]]:
    return [
        Criterion(name=c.name, standing=c.standing, value=c.value, bar=c.bar).model_dump() for c in criteria
    ]
