from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class Checkpoint(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID = Field(description="Checkpoint id.")
    seq: int = Field(description="1 for the first checkpoint of the engagement, then 2, 3...")
    kind: str = Field(description="`coaching_review` (every 4-6 weeks) or `mentoring_milestone` (quarterly).")
    due_at: datetime = Field(description="Held by then (the end of the participant's local day).")
    announced_at: datetime | None = Field(description="When `CheckpointDue` went out (a week before).")
    held_at: datetime | None = Field(description="When the checkpoint session was held; null while open.")
    session_id: UUID | None = Field(description="The session that is (or was held as) this checkpoint.")


class Cadence(BaseModel):
    """What the track plans against what happened."""

    engagement_id: UUID = Field(description="Engagement.")
    layer: str = Field(description="`coaching` or `mentoring` (from the provider's kind).")
    planned_sessions_low: int = Field(description="Fewest sessions the track plans (coaching: 8).")
    planned_sessions_high: int = Field(description="Most sessions the track plans (coaching: 12).")
    booked: int = Field(description="Sessions booked and not cancelled (held ones included).")
    held: int = Field(description="Sessions recorded attended.")
    review_every_weeks: int = Field(description="Weeks between checkpoints.")
    checkpoints: list[Checkpoint] = Field(description="The engagement's checkpoints, in order.")


class CheckpointSession(BaseModel):
    """Mark a booked session as this checkpoint: when it is recorded attended, the checkpoint is held."""

    model_config = ConfigDict(extra="forbid")

    session_id: UUID = Field(description="A session of the same engagement.")
