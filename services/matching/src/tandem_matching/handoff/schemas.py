from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

HandoffID = UUID
ChecklistItemName = Literal[
    "coaching_closing_notes_submitted",
    "goals_reviewed",
    "progress_summary_shared",
    "mentor_intro_meeting_booked",
]


class ChecklistItem(BaseModel):
    item: ChecklistItemName = Field(description="The checklist item.")
    done: bool = Field(description="Whether it is done.")
    done_at: datetime | None = Field(description="When it was ticked, or None.")
    done_by: str | None = Field(description="Who ticked it, or None.")


class Goals(BaseModel):
    behavioural_goals: list[str] = Field(description="The participant's behavioural goals (intake).")
    wanted_skills: dict[str, int] = Field(description="Skills the participant wants to grow, 1-5 (intake).")


class Progress(BaseModel):
    coaching_started_on: date = Field(description="The coaching match's approval day.")
    coaching_completed_on: date = Field(description="The day the coaching match ended completed.")
    sprint_weeks: int = Field(description="Length of the coaching sprint in whole weeks.")


class HandoffContext(BaseModel):
    goals: Goals = Field(description="Goals from the intake.")
    progress: Progress = Field(description="Progress of the coaching sprint.")


class Handoff(BaseModel):
    id: HandoffID = Field(description="Handoff id.")
    program_id: UUID = Field(description="Program id.")
    participant_id: UUID = Field(description="The participant (person id).")
    from_match_id: UUID = Field(description="The coaching match that completed.")
    to_match_id: UUID | None = Field(description="The mentor match, once approved.")
    proposal_id: UUID | None = Field(
        description="The mentor proposal opened when the sprint completed (None when none could be opened)."
    )
    shared_context: bool = Field(
        description="Whether goals and progress travel: the participant's `handoff` consent, asked when the "
        "handoff was prepared and again at every read."
    )
    context: HandoffContext | None = Field(description="Goals and progress; None without the consent.")
    note: str | None = Field(description="Why the context is missing, when it is.")
    checklist: list[ChecklistItem] = Field(description="The handoff checklist, in order.")
    prepared_at: datetime = Field(description="When the handoff was prepared.")


class HandoffChecklistUpdate(BaseModel):
    """Items to tick (true) or untick (false); items not sent stay as they are."""

    model_config = ConfigDict(extra="forbid")

    coaching_closing_notes_submitted: bool | None = Field(
        default=None, description="The coach's closing notes are in."
    )
    goals_reviewed: bool | None = Field(
        default=None, description="Mentor and participant reviewed the goals."
    )
    progress_summary_shared: bool | None = Field(
        default=None, description="The progress summary was shared with the mentor."
    )
    mentor_intro_meeting_booked: bool | None = Field(
        default=None, description="The mentor intro meeting is booked."
    )


class MatchEnded(BaseModel):
    """What the handoff reads of matching's own `MatchEnded`."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    match_id: UUID
    provider_kind: str
    reason: str
    ended_at: datetime


class MatchApproved(BaseModel):
    """What the handoff reads of matching's own `MatchApproved`."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    match_id: UUID
    provider_kind: str
    track: str
