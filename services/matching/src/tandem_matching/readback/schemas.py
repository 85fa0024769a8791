from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field


class ProgramParticipation(BaseModel):
    program_id: UUID = Field(description="Program id.")
    program_name: str = Field(description="Program name.")
    role: Literal["participant", "coach", "mentor"] = Field(description="The person's part in the program.")
    track: str | None = Field(
        description="The participant's track (coaching, mentoring, ...); None for a provider."
    )
    status: Literal["waiting", "active", "ended", "available"] = Field(
        description="participant: waiting (no match yet), active (an active match), ended (every match "
        "ended); coach or mentor: active (carries matches) or available."
    )
    joined_at: datetime = Field(description="Intake or provider registration time.")
    matched_at: datetime | None = Field(description="First match approved (participant).")
    ended_at: datetime | None = Field(
        description="When the last match ended, once none is active (participant)."
    )
    sponsor_actions: int | None = Field(
        description="Documented sponsor actions the provider holds (mentors: last 18 months); None for a "
        "participant until the sponsor-action log exists."
    )


class Participation(BaseModel):
    person_id: UUID = Field(description="The person (directory id).")
    programs: list[ProgramParticipation] = Field(description="Every program the person takes part in.")
    changed_at: datetime = Field(description="Latest change to any of it (the `since` filter compares this).")


class ParticipationPage(BaseModel):
    items: list[Participation] = Field(description="People who consented to `hris_readback`, by person id.")
    next_cursor: UUID | None = Field(description="Pass as `cursor` for the next page; None at the end.")
