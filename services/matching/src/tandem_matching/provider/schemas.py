from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from tandem_kit.fields import Int4, Text
from tandem_matching.schemas import FocusAreas, Language, SkillLevels, Timezone, WorkingHoursBlock

ProviderKindName = Literal["coach", "mentor"]
Sourcing = Literal["internal", "external"]
EvidenceItem = Literal[
    "bias_awareness_training",
    "mentor_curriculum_week_1",
    "mentor_curriculum_week_2",
    "mentor_curriculum_week_3",
    "mentor_curriculum_week_4",
    "coach_demo_review",
    "coach_co_coaching_session",
    "calibration_review",
    "recertification",
]
GateStatusName = Literal["met", "missing", "lapsed", "overridden"]
ProviderID = UUID


class RubricScore(BaseModel):
    """One calibration panelist's 1..5 scores on the seed's five coach dimensions."""

    model_config = ConfigDict(extra="forbid")

    challenge_skill: int = Field(ge=1, le=5, description="Challenge skill.")
    behavioural_tools: int = Field(ge=1, le=5, description="Behavioural tools.")
    confidentiality_practice: int = Field(ge=1, le=5, description="Confidentiality practice.")
    context_fluency: int = Field(ge=1, le=5, description="Context fluency.")
    measurable_outcomes: int = Field(ge=1, le=5, description="Measurable outcomes.")


class _Credentials(BaseModel):
    model_config = ConfigDict(extra="forbid")

    calibration: list[RubricScore] | None = Field(
        default=None, description="Coach calibration panel scores (median of panelist means must be >= 4)."
    )
    commitment_signed: bool | None = Field(
        default=None, description="Mentor: signed conflict-of-interest and sponsorship commitment."
    )
    ratings: list[float] | None = Field(default=None, description="Participant ratings 1..5 (median >= 4.0).")
    sessions_completed: Int4 | None = Field(default=None, ge=0, description="Sessions completed.")
    sessions_scheduled: Int4 | None = Field(default=None, ge=0, description="Sessions scheduled.")
    sponsorship_actions: Int4 | None = Field(
        default=None, ge=0, description="Documented sponsor actions (introductions, advocacy) in 18 months."
    )
    promotions_sponsored: Int4 | None = Field(
        default=None, ge=0, description="Mentees promoted with sponsorship."
    )
    sourcing: Sourcing | None = Field(
        default=None,
        description="internal (the default) or external: C-suite transitions and high-stakes performance "
        "cases are coached by external coaches only (seed 000).",
    )
    sensitive_role: bool | None = Field(
        default=None,
        description="The provider's own role is politically sensitive (platform lead, C-suite adjacent, "
        "budget authority): every match with them needs a program manager's approval.",
    )


class ProviderCreate(_Credentials):
    person_id: UUID = Field(description="The coach's or mentor's person id (HRIS directory).")
    kind: ProviderKindName = Field(description="coach or mentor.")
    timezone: Timezone
    working_hours: list[WorkingHoursBlock] = Field(min_length=1, description="Weekly working hours, local.")
    languages: list[Language] = Field(min_length=1, description="Languages the provider works in.")
    skills: SkillLevels = Field(default_factory=dict)
    behavioural_focus: FocusAreas = Field(default_factory=list)
    manager_chain: list[UUID] = Field(
        default_factory=list, description="The provider's manager, skip-level, ... (conflict checks)."
    )
    capacity: Int4 | None = Field(
        default=None,
        ge=1,
        description="Caseload; the program's limit for the kind when omitted, never above it.",
    )


class EligibilityOverrideUpdate(BaseModel):
    """A program manager's override: these gates count as met without (current) evidence."""

    model_config = ConfigDict(extra="forbid")

    gates: list[EvidenceItem] = Field(
        max_length=9, description="The evidence gates to count as met; empty clears the override."
    )
    reason: Text = Field(min_length=1, max_length=500, description="Why (recorded in the decision log).")


class ProviderUpdate(_Credentials):
    timezone: Timezone | None = None
    working_hours: list[WorkingHoursBlock] | None = Field(
        default=None, min_length=1, description="Weekly hours."
    )
    languages: list[Language] | None = Field(default=None, min_length=1, description="Languages.")
    skills: SkillLevels | None = None
    behavioural_focus: FocusAreas | None = None
    manager_chain: list[UUID] | None = Field(default=None, description="Manager chain.")
    capacity: Int4 | None = Field(default=None, ge=1, description="Caseload (within the program limit).")
    override: EligibilityOverrideUpdate | None = Field(
        default=None,
        description="Program manager only (matching:decide): override evidence gates, with a reason.",
    )


class GateEvidence(BaseModel):
    item: str = Field(description="The evidence item (a gate, or what a certification dates from).")
    evidence_id: UUID = Field(description="The gateway's evidence id.")
    statement_id: str = Field(description="The xAPI statement id the evidence came from.")
    achieved_at: datetime = Field(description="When it was achieved.")


class EligibilityGate(BaseModel):
    name: str = Field(description="The gate (an evidence item, calibration_panel or commitment_signed).")
    status: GateStatusName = Field(description="met, missing, lapsed or overridden.")
    evidence: list[GateEvidence] = Field(description="The evidence behind it, latest first.")
    missing: str | None = Field(description="What is missing or lapsed, as a reason code (None when met).")


class EligibilityOverride(BaseModel):
    gates: list[str] = Field(description="The gates the override counts as met.")
    by: str = Field(description="Who decided (person:<id> or client:<id>).")
    at: datetime = Field(description="When.")
    reason: str = Field(description="Why.")


class Eligibility(BaseModel):
    provider_id: ProviderID = Field(description="Provider id.")
    kind: ProviderKindName = Field(description="coach or mentor.")
    eligible: bool = Field(description="Whether the provider may appear in proposals.")
    reasons: list[str] = Field(description="Why not, as stable codes (empty when eligible).")
    calibration_median: float | None = Field(description="Coach calibration median (None without a panel).")
    rating_median: float | None = Field(description="Median participant rating (None without ratings).")
    completion_rate: float | None = Field(
        description="Completed / scheduled sessions (None without history)."
    )
    gates: list[EligibilityGate] = Field(description="Each gate of the provider's kind, in order.")
    override: EligibilityOverride | None = Field(description="The program manager's override, if any.")
    evaluated_at: datetime | None = Field(description="When the gates were last evaluated.")


class Provider(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: ProviderID = Field(description="Provider id.")
    program_id: UUID = Field(description="Program id.")
    person_id: UUID = Field(description="Person id.")
    kind: ProviderKindName = Field(description="coach or mentor.")
    timezone: str = Field(description="IANA time zone.")
    working_hours: list[WorkingHoursBlock] = Field(description="Weekly working hours, local.")
    languages: list[str] = Field(description="Languages.")
    skills: dict[str, int] = Field(description="Skill levels.")
    behavioural_focus: list[str] = Field(description="Behavioural focus areas.")
    sponsorship_actions: int = Field(description="Documented sponsor actions.")
    promotions_sponsored: int = Field(description="Mentees promoted with sponsorship.")
    capacity: int = Field(description="Caseload.")
    active_load: int = Field(description="Active matches.")
    sourcing: Sourcing = Field(description="internal or external.")
    sensitive_role: bool = Field(description="The provider's own role is politically sensitive.")
    eligible: bool = Field(description="Whether the provider may appear in proposals.")
    ineligible_reasons: list[str] = Field(description="Why not (empty when eligible).")
    created_at: datetime = Field(description="When the provider was registered.")


class CalibrationRecordCreate(BaseModel):
    """A coach's calibration review as held (seed 004 §5: a live demo scored by your panel)."""

    model_config = ConfigDict(extra="forbid")

    held_on: date = Field(description="The day the panel met (not in the future).")
    panel: list[UUID] = Field(
        min_length=1, max_length=20, description="The panel members' person ids (never the coach)."
    )
    evidence_ids: list[UUID] = Field(
        default_factory=list,
        max_length=50,
        description="The LMS evidence the panel reviewed: ids of the coach's counting training evidence in "
        "this program (GET /providers/{id}/eligibility lists them).",
    )
    scores: list[RubricScore] | None = Field(
        default=None,
        max_length=20,
        description="The panel's 1..5 rubric scores, when it scored: they become the coach's calibration "
        "panel (median of panelist means >= 4).",
    )


class CalibrationRecord(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID = Field(description="Calibration record id.")
    provider_id: ProviderID = Field(description="The coach.")
    program_id: UUID = Field(description="Program id.")
    held_on: date = Field(description="The day the panel met.")
    panel: list[UUID] = Field(description="Panel members' person ids.")
    evidence_ids: list[UUID] = Field(description="The LMS evidence reviewed.")
    scores: list[RubricScore] = Field(description="The panel's rubric scores (empty when it did not score).")
    recorded_by: str = Field(description="Who recorded it.")
    created_at: datetime = Field(description="When it was recorded.")


class TrainingEvidenceRecorded(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    evidence_id: UUID
    person_id: UUID
    program_id: UUID
    item: EvidenceItem
    statement_id: str = Field(min_length=1, max_length=255)
    verb: Literal["completed", "passed", "satisfied", "waived", "failed"]
    counts: bool
    score_scaled: float | None = None
    achieved_at: AwareDatetime


class TrainingEvidenceRetracted(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    evidence_id: UUID
    person_id: UUID
    program_id: UUID
    item: EvidenceItem
    statement_id: str = Field(min_length=1, max_length=255)
    voided_by: str = Field(min_length=1, max_length=255)
    retracted_at: AwareDatetime


class ProviderOutcomesUpdated(BaseModel):
    """What matching reads of analytics' `ProviderOutcomesUpdated` (docs/contracts.md)."""

    model_config = ConfigDict(extra="ignore")

    provider_id: UUID
    program_id: UUID
    sessions_completed: int = Field(ge=0)
    sessions_no_show: int = Field(ge=0)
    completion_rate: float | None = Field(ge=0, le=1)
    rating_median: float | None = Field(ge=1, le=5)
    rating_count: int = Field(ge=0)
    computed_at: AwareDatetime
