from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from tandem_kit.fields import Text


class Approve(BaseModel):
    model_config = ConfigDict(extra="forbid")

    provider_id: UUID | None = Field(
        default=None, description="The candidate to approve; the best-ranked one when omitted."
    )
    reason: Text | None = Field(default=None, max_length=2000, description="Optional note for the audit.")


class Reject(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Text = Field(min_length=3, max_length=2000, description="Why the proposal is rejected (audited).")
    provider_id: UUID | None = Field(
        default=None, description="The candidate rejected; the best-ranked one when omitted."
    )


class Override(BaseModel):
    model_config = ConfigDict(extra="forbid")

    provider_id: UUID = Field(description="The provider chosen instead of the proposal's ranking.")
    reason: Text = Field(min_length=3, max_length=2000, description="Why (required, audited).")


class Decision(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID = Field(description="Decision id.")
    program_id: UUID = Field(description="Program id.")
    action: str = Field(
        description="approved, auto_approved, rejected, overridden, reassigned, ended, cohort_assigned, track_overridden, eligibility_override or eligibility_override_cleared."
    )
    actor: str = Field(description="Who decided (person:<id> or client:<id>).")
    proposal_id: UUID | None = Field(description="Proposal decided on.")
    match_id: UUID | None = Field(description="Match created or changed.")
    intake_id: UUID | None = Field(description="Intake concerned.")
    provider_id: UUID | None = Field(description="Provider chosen or rejected.")
    score: float | None = Field(description="Score of the chosen pair at the time.")
    reason: str | None = Field(description="The reason given.")
    details: dict[str, object] = Field(description="What else was known (e.g. the proposed provider).")
    created_at: datetime = Field(description="When.")
