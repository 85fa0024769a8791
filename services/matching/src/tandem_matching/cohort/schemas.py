from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from tandem_matching.assignment.domain import DEFAULT_PRUNE_K


class LockedPair(BaseModel):
    model_config = ConfigDict(extra="forbid")

    intake_id: UUID = Field(description="A participant of the cohort.")
    provider_id: UUID = Field(description="The provider a manager fixed for them.")


class AssignmentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    locked: list[LockedPair] = Field(default_factory=list, description="Pairs kept as they are.")
    prune_k: int = Field(
        default=DEFAULT_PRUNE_K,
        ge=1,
        le=200,
        description="Each participant's best candidates the solver considers.",
    )


class AssignedPair(BaseModel):
    intake_id: UUID = Field(description="Intake id.")
    participant_id: UUID = Field(description="Participant person id.")
    provider_id: UUID = Field(description="Assigned provider.")
    provider_kind: Literal["coach", "mentor"] = Field(description="coach or mentor.")
    score: float = Field(description="Score of the pair.")
    locked: bool = Field(description="Fixed by a manager.")
    proposal_id: UUID | None = Field(description="The pending proposal created (real runs only).")


class UnmatchedParticipant(BaseModel):
    intake_id: UUID = Field(description="Intake id.")
    participant_id: UUID = Field(description="Participant person id.")
    reason: str = Field(
        description="consent_required, no_eligible_candidate, capacity_exhausted, pruned or already_matched."
    )


class ScoreDistribution(BaseModel):
    min: float = Field(description="Lowest assigned score.")
    p25: float = Field(description="25th percentile.")
    median: float = Field(description="Median.")
    p75: float = Field(description="75th percentile.")
    max: float = Field(description="Highest assigned score.")


class AssignmentRun(BaseModel):
    cohort_id: UUID = Field(description="Cohort id.")
    dry_run: bool = Field(description="True: nothing was saved.")
    weight_set_version: int = Field(description="Weights used.")
    participants: int = Field(description="Participants needing a match.")
    coverage: float = Field(description="Assigned / participants needing a match.")
    total_score: float = Field(description="Sum of assigned scores (the solver maximises it).")
    distribution: ScoreDistribution | None = Field(description="Assigned score quantiles.")
    pairs: list[AssignedPair] = Field(description="Who gets whom.")
    unmatched: list[UnmatchedParticipant] = Field(description="Who is left out, and why.")
