from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from tandem_kit.fields import Text

SponsorActionID = UUID
KindName = Literal["introduction", "advocacy", "stretch_assignment", "resource_secured"]
OutcomeName = Literal["pending", "succeeded", "no_result"]


class SponsorActionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: KindName = Field(
        description="introduction, advocacy, stretch_assignment (a stretch assignment secured for the "
        "mentee) or resource_secured."
    )
    action_date: date = Field(
        description="When the action happened (not in the future, not before the match)."
    )
    outcome: OutcomeName = Field(default="pending", description="pending, succeeded or no_result.")
    description: Text | None = Field(
        default=None,
        max_length=2000,
        description="Free text (optional); stays in matching, never in events; erasure and retention clear it.",
    )


class SponsorActionUpdate(BaseModel):
    """A correction: only the fields sent change; the event goes out again with the same id."""

    model_config = ConfigDict(extra="forbid")

    kind: KindName | None = Field(default=None, description="Corrected kind.")
    action_date: date | None = Field(default=None, description="Corrected date.")
    outcome: OutcomeName | None = Field(default=None, description="Corrected or now known outcome.")
    description: Text | None = Field(default=None, max_length=2000, description="Corrected description.")


class SponsorAction(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: SponsorActionID = Field(description="Sponsor action id.")
    match_id: UUID = Field(description="The mentor match it was logged for.")
    program_id: UUID = Field(description="Program id.")
    participant_id: UUID = Field(description="The mentee (person id).")
    mentor_person_id: UUID = Field(description="The mentor (person id).")
    kind: KindName = Field(description="introduction, advocacy, stretch_assignment or resource_secured.")
    action_date: date = Field(description="When the action happened.")
    outcome: OutcomeName = Field(description="pending, succeeded or no_result.")
    description: str | None = Field(description="Free text, or None (also once erased).")
    logged_at: datetime = Field(description="When it was first logged.")
    logged_by: str = Field(description="Who logged it.")
    corrected_at: datetime | None = Field(description="The last correction, or None.")
    retracted_at: datetime | None = Field(description="When it was retracted (it then counts nowhere).")


class SponsorSummary(BaseModel):
    match_id: UUID = Field(description="The mentor match.")
    approved_on: date = Field(description="The day the match was approved (week 1 starts there).")
    week_15_ends_on: date = Field(description="The first day after week 15.")
    actions_logged: int = Field(description="Sponsor actions logged for the match, retracted ones left out.")
    sponsor_actions_by_week_15: bool = Field(
        description="At least one sponsor action dated within 15 weeks of approval (the pilot's week-15 gate)."
    )
