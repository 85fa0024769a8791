from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from tandem_kit.fields import Text

MatchID = UUID
EndReason = Literal["completed", "withdrawn", "terminated"]


class Match(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: MatchID = Field(description="Match id.")
    program_id: UUID = Field(description="Program id.")
    proposal_id: UUID | None = Field(description="The proposal it came from (None for a reassignment).")
    intake_id: UUID = Field(description="Intake id.")
    participant_id: UUID = Field(description="Participant person id.")
    provider_id: UUID = Field(description="Provider id.")
    provider_person_id: UUID = Field(description="Provider person id.")
    provider_kind: Literal["coach", "mentor"] = Field(description="coach or mentor.")
    track: str = Field(description="The participant's track at approval.")
    score: float = Field(description="Score of the pair at approval.")
    status: Literal["active", "reassigned", "ended"] = Field(description="active until ended or reassigned.")
    approved_at: datetime = Field(description="When it was approved.")
    approved_by: str = Field(description="Who approved it.")
    ended_at: datetime | None = Field(description="When it ended.")
    end_reason: str | None = Field(
        description="Why it ended: completed, withdrawn or terminated, or a reassignment's reason."
    )
    previous_match_id: UUID | None = Field(description="The match this one replaced.")


class Reassign(BaseModel):
    model_config = ConfigDict(extra="forbid")

    provider_id: UUID = Field(description="The new provider (same program and kind).")
    reason: Text = Field(min_length=3, max_length=2000, description="Why the match is reassigned (audited).")


class MatchEnd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: EndReason = Field(
        description="completed (the engagement ran its course), withdrawn (a party stepped back) or "
        "terminated (ended by the program)."
    )
    note: Text | None = Field(
        default=None, max_length=2000, description="Free-text context for the audit trail (optional)."
    )


class Reassignment(BaseModel):
    old_match: Match = Field(description="The ended match.")
    new_match: Match = Field(description="The match that replaces it.")


class ReassignmentRate(BaseModel):
    program_id: UUID = Field(description="Program id.")
    initial_matches: int = Field(description="Matches approved from proposals (not replacements).")
    reassignments: int = Field(description="Matches ended by reassignment.")
    rate: float = Field(description="reassignments / initial_matches (0 without matches).")
    target: float = Field(description="The pilot target: below 10%.")
    within_target: bool = Field(description="rate < target.")
