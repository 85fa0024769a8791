from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field


class Slot(BaseModel):
    starts_at: datetime = Field(description="Proposed start (UTC).")
    ends_at: datetime = Field(description="Proposed end (UTC), exclusive.")


class SlotSearch(BaseModel):
    engagement_id: UUID = Field(description="Engagement the slots are for.")
    window_start: datetime = Field(description="Start of the searched window.")
    window_end: datetime = Field(description="End of the searched window.")
    duration_minutes: int = Field(description="Length of each proposed slot.")
    slots: list[Slot] = Field(
        description="Times inside both people's working hours, clear of their sessions, earliest first."
    )
