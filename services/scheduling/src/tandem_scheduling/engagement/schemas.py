from datetime import UTC, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator


class WorkingHours(BaseModel):
    """One working window in the person's own time zone."""

    model_config = ConfigDict(frozen=True)

    weekday: int = Field(ge=0, le=6, description="Day of the week, Monday = 0 ... Sunday = 6.")
    start: str = Field(description="Local start time, HH:MM.")
    end: str = Field(
        description="Local end time, HH:MM (24:00 for midnight; earlier than start runs overnight)."
    )


class MatchApproved(BaseModel):
    """The `data` of matching's `MatchApproved` event (docs/contracts.md); unknown fields are ignored."""

    match_id: UUID
    proposal_id: UUID | None = None
    program_id: UUID
    participant_id: UUID
    provider_id: UUID
    provider_person_id: UUID
    provider_kind: Literal["coach", "mentor"]
    track: str
    approved_at: datetime
    participant_timezone: str
    participant_working_hours: list[WorkingHours]
    provider_timezone: str
    provider_working_hours: list[WorkingHours]


class MatchEnded(BaseModel):
    """The `data` of matching's `MatchEnded` event (docs/contracts.md): only what scheduling needs;
    other fields are ignored, and so is the set of reasons (a new one must not keep a match active)."""

    match_id: UUID
    reason: str = Field(min_length=1, max_length=40)
    ended_at: datetime

    @field_validator("ended_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        # The contract sends UTC; a value without an offset is read as UTC rather than as the server's zone.
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class Engagement(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID = Field(description="Engagement id.")
    match_id: UUID = Field(description="The approved match (matching service) this engagement schedules.")
    program_id: UUID = Field(description="Program the match belongs to.")
    participant_id: UUID = Field(description="Person id of the participant.")
    provider_id: UUID = Field(description="Coach or mentor record id in the matching service.")
    provider_person_id: UUID = Field(description="Person id of the coach or mentor.")
    provider_kind: str = Field(description="`coach` or `mentor`.")
    track: str = Field(description="Track decided by matching, e.g. `coach`, `mentor`, `coach_then_mentor`.")
    status: str = Field(
        description="`active` while sessions are being held; `ended` once its match ended (or an erasure "
        "ended it): nothing more can be booked."
    )
    cadence: str = Field(description="Meeting rhythm: `weekly`, `biweekly` or `monthly`.")
    session_minutes: int = Field(description="Length of a regular session in minutes.")
    planned_months: int = Field(description="Planned length of the engagement in months.")
    review_every_weeks: int = Field(description="Weeks between review checkpoints.")
    participant_timezone: str = Field(description="Participant's IANA time zone.")
    participant_working_hours: list[WorkingHours] = Field(description="Participant's working hours, local.")
    provider_timezone: str = Field(description="Provider's IANA time zone.")
    provider_working_hours: list[WorkingHours] = Field(description="Provider's working hours, local.")
    approved_at: datetime = Field(description="When the match was approved.")
    ended_at: datetime | None = Field(description="When the engagement ended; null while it is active.")
    created_at: datetime = Field(description="When the engagement was created.")
