from datetime import date, datetime
from typing import Literal, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from tandem_kit.fields import Int4, Text
from tandem_matching.scoring.domain import DEFAULT_WEIGHTS, Signal

ProgramTrack = Literal["coaching", "mentoring", "dual_track"]

ProgramID = UUID
ProgramStatusName = Literal["active", "paused", "closed"]


class Weights(BaseModel):
    """Signal weights, 0..100 each (they need not add up to 100; at least one must be positive)."""

    model_config = ConfigDict(extra="forbid")

    technical_skills: int = Field(ge=0, le=100, description="Technical skills (ML, data platforms, ...).")
    behavioural_goals: int = Field(ge=0, le=100, description="Behavioural goals fit.")
    sponsorship_history: int = Field(ge=0, le=100, description="Sponsorship history (doors opened).")
    availability_overlap: int = Field(ge=0, le=100, description="Working-hours overlap across time zones.")
    past_success: int = Field(ge=0, le=100, description="Past success: ratings and completion.")

    @model_validator(mode="after")
    def _one_positive(self) -> Self:
        if not any(self.as_dict().values()):
            raise ValueError("at least one weight must be positive")
        return self

    def as_dict(self) -> dict[str, int]:
        return {s.value: getattr(self, s.value) for s in Signal}

    @classmethod
    def seed(cls) -> "Weights":
        return cls(**{s.value: w for s, w in DEFAULT_WEIGHTS.as_dict().items()})


class WeightSet(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int = Field(description="Version number, 1 for the program's first weight set.")
    weights: Weights = Field(description="The weights of this version.")
    reason: str | None = Field(description="Why the weights changed.")
    created_by: str = Field(description="Who created this version.")
    created_at: datetime = Field(description="When this version was created.")


class WeightsUpdate(Weights):
    reason: Text | None = Field(default=None, max_length=2000, description="Why the weights change.")


class ProgramCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text = Field(min_length=1, max_length=200, description="Program name.")
    tracks: list[ProgramTrack] = Field(min_length=1, description="Tracks the program runs.")
    starts_on: date = Field(description="First day of the program.")
    ends_on: date = Field(description="Last day of the program (after starts_on).")
    coach_caseload_limit: int = Field(
        default=15,
        ge=15,
        le=25,
        description="Most participants one coach may carry: the seed's 12-month target 1:15 by default "
        "(its baseline is 1:25, the most allowed).",
    )
    mentor_high_touch_limit: int = Field(
        default=3, ge=1, le=3, description="Most high-touch mentees per mentor (seed: at most 3)."
    )
    active_leaders: Int4 | None = Field(
        default=None,
        ge=1,
        description="Active leader population, for the coach pool share (seed 8-12%). An override: "
        "leave it out to count the HR directory's active leaders (MATCHING_DIRECTORY__LEADER_LEVEL_RANK).",
    )
    weights: Weights | None = Field(
        default=None, description="Initial signal weights; the seed's 35/25/20/10/10 when omitted."
    )

    @field_validator("ends_on")
    @classmethod
    def _after_start(cls, value: date, info: ValidationInfo) -> date:
        starts = info.data.get("starts_on")
        if starts is not None and value <= starts:
            raise ValueError("must be after starts_on")
        return value

    @field_validator("tracks")
    @classmethod
    def _unique(cls, value: list[ProgramTrack]) -> list[ProgramTrack]:
        return list(dict.fromkeys(value))


class Program(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: ProgramID = Field(description="Program id.")
    name: str = Field(description="Program name.")
    tracks: list[ProgramTrack] = Field(description="Tracks the program runs.")
    starts_on: date = Field(description="First day.")
    ends_on: date = Field(description="Last day.")
    coach_caseload_limit: int = Field(description="Most participants one coach may carry.")
    mentor_high_touch_limit: int = Field(description="Most high-touch mentees per mentor.")
    active_leaders: int | None = Field(description="Active leader population.")
    status: ProgramStatusName = Field(
        description="active; paused (no new intakes, proposals or approvals; running matches go on); "
        "closed (for good)."
    )
    status_reason: str | None = Field(description="Why the status last changed.")
    status_changed_at: datetime | None = Field(description="When the status last changed.")
    status_changed_by: str | None = Field(description="Who changed it last (person:<id> or client:<id>).")
    created_at: datetime = Field(description="When the program was created.")


class ProgramStatusUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Text = Field(min_length=3, max_length=2000, description="Why (required, audited).")


class ProgramWithWeights(Program):
    weights: WeightSet = Field(description="The current weight set.")


class CapacityReport(BaseModel):
    program_id: ProgramID = Field(description="Program id.")
    coaches: int = Field(description="Registered coaches.")
    eligible_coaches: int = Field(description="Coaches currently eligible.")
    mentors: int = Field(description="Registered mentors.")
    eligible_mentors: int = Field(description="Mentors currently eligible.")
    active_leaders: int | None = Field(description="Active leader population, when known.")
    active_leaders_source: Literal["override", "directory", "unknown"] = Field(
        description="Where `active_leaders` came from: override (typed on the program, wins when set), "
        "directory (active people whose level_rank reaches MATCHING_DIRECTORY__LEADER_LEVEL_RANK), or "
        "unknown (neither)."
    )
    coach_pool_share: float | None = Field(
        description="Coaches / active leaders (None without a population)."
    )
    seed_pool_share_range: tuple[float, float] = Field(description="The seed's recommended share: 8% to 12%.")
    pool_share_status: Literal["below", "within", "above", "unknown"] = Field(
        description="Where the coach pool share sits against the seed's range."
    )
    coach_caseload_limit: int = Field(description="Program caseload limit per coach.")
    coach_capacity: int = Field(description="Sum of coach capacities.")
    coach_load: int = Field(description="Active coaching matches.")
    mentor_capacity: int = Field(description="Sum of mentor capacities.")
    mentor_load: int = Field(description="Active mentoring matches.")


class CohortCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text = Field(min_length=1, max_length=200, description="Cohort name.")


class Cohort(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID = Field(description="Cohort id.")
    program_id: ProgramID = Field(description="Program the cohort belongs to.")
    name: str = Field(description="Cohort name.")
    created_at: datetime = Field(description="When the cohort was created.")
