from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from tandem_kit.fields import Text
from tandem_matching.intake.domain import Track, Trigger
from tandem_matching.schemas import FocusAreas, Language, SkillLevels, Timezone, WorkingHoursBlock

PoliticalRiskFlag = Literal["platform_lead", "c_suite_adjacent", "budget_authority"]
CaseFlagName = Literal["c_suite_transition", "high_stakes_performance"]
IntakeID = UUID


class IntakeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person_id: UUID = Field(description="The participant's person id (HRIS directory).")
    cohort_id: UUID | None = Field(default=None, description="Cohort the participant joins, if any.")
    triggers: list[Trigger] = Field(min_length=1, description="Why the participant enters the program.")
    timezone: Timezone
    working_hours: list[WorkingHoursBlock] = Field(min_length=1, description="Weekly working hours, local.")
    languages: list[Language] = Field(min_length=1, description="Languages the participant works in.")
    wanted_skills: SkillLevels = Field(default_factory=dict)
    behavioural_goals: FocusAreas = Field(default_factory=list)
    manager_chain: list[UUID] = Field(
        default_factory=list, description="The participant's manager, skip-level, ... (conflict checks)."
    )
    political_risk_flags: list[PoliticalRiskFlag] = Field(
        default_factory=list,
        description="High political risk roles; any flag means matches always need manual approval.",
    )
    case_flags: list[CaseFlagName] = Field(
        default_factory=list,
        description="C-suite transition or high-stakes performance intervention: only external coaches "
        "are ranked for the participant (seed 000).",
    )


class TrackOverride(BaseModel):
    model_config = ConfigDict(extra="forbid")

    track: Track = Field(description="The track to use instead of the decided one.")
    reason: Text = Field(min_length=3, max_length=2000, description="Why (required, audited).")


class TrackPlan(BaseModel):
    provider_kinds: list[Literal["coach", "mentor"]] = Field(description="Who is matched, in order.")
    outcome: str = Field(description="The outcome the track aims at.")
    months: tuple[int, int] = Field(description="Engagement length range in months.")
    sessions: tuple[int, int] | None = Field(description="Coaching sessions range, when set by the matrix.")
    coaching_sprint_months: tuple[int, int] | None = Field(description="Dual track: coaching sprint length.")


class Intake(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: IntakeID = Field(description="Intake id.")
    program_id: UUID = Field(description="Program id.")
    cohort_id: UUID | None = Field(description="Cohort id.")
    person_id: UUID = Field(description="Participant person id.")
    triggers: list[Trigger] = Field(description="Intake triggers.")
    track: Track = Field(description="Decided (or overridden) track.")
    track_reason: str = Field(description="The rule, or the override reason, behind the track.")
    track_overridden: bool = Field(description="Whether a program manager overrode the decided track.")
    promotion_related: bool = Field(description="Promotion pathway: sponsorship outweighs technical fit.")
    plan: TrackPlan = Field(description="What the track means operationally.")
    timezone: str = Field(description="IANA time zone.")
    working_hours: list[WorkingHoursBlock] = Field(description="Weekly working hours, local.")
    languages: list[str] = Field(description="Languages.")
    wanted_skills: dict[str, int] = Field(description="Wanted skills and target levels.")
    behavioural_goals: list[str] = Field(description="Behavioural goals.")
    political_risk_flags: list[str] = Field(description="High political risk flags.")
    high_political_risk: bool = Field(description="Any flag set: never auto-approved.")
    case_flags: list[str] = Field(description="Cases routed to external coaches only.")
    created_at: datetime = Field(description="When the intake was submitted.")
