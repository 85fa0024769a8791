from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from tandem_kit.auth import Principal
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
    review_reason: str | None = Field(
        default=None,
        description="Why the match waits for a program manager's review (job_changed: the HR directory "
        "reported a job change of the participant); None when not flagged. Shown to program managers "
        "and machine clients only.",
    )
    flagged_at: datetime | None = Field(default=None, description="When it was flagged for review.")

    @classmethod
    def seen_by(cls, row: object, viewer: Principal) -> "Match":
        """The match as `viewer` may read it: a party does not see the review flag (it is about the
        participant's job, for the program's staff)."""
        match = cls.model_validate(row)
        if not viewer.sees_everything:
            match.review_reason, match.flagged_at = None, None
        return match


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


class ReviewClear(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Text = Field(
        min_length=3, max_length=2000, description="What the program manager checked and decided (audited)."
    )


class ReassignmentRate(BaseModel):
    program_id: UUID = Field(description="Program id.")
    initial_matches: int = Field(description="Matches approved from proposals (not replacements).")
    reassignments: int = Field(description="Matches ended by reassignment.")
    rate: float = Field(description="reassignments / initial_matches (0 without matches).")
    target: float = Field(description="The pilot target: below 10%.")
    within_target: bool = Field(description="rate < target.")
