from datetime import datetime
from typing import Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tandem_scheduling.sla.domain import Layer


class SlaClock(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID = Field(description="SLA clock id.")
    engagement_id: UUID = Field(description="Engagement the promise belongs to.")
    kind: str = Field(
        description="Which promise: `kickoff_held` (kickoff attended within the policy's days of approval), "
        "`next_session_booked` (after each held session), `checkpoint_held`, `attendance_floor`."
    )
    seq: int = Field(description="Which one of a repeating promise (checkpoint number, held session count).")
    checkpoint_id: UUID | None = Field(description="The checkpoint of a `checkpoint_held` clock.")
    due_at: datetime = Field(description="Deadline.")
    met_at: datetime | None = Field(description="When the promise was kept; null while open.")
    breached_at: datetime | None = Field(description="When the deadline was found missed; set once.")


class SlaPolicyInput(BaseModel):
    """One layer's service levels."""

    model_config = ConfigDict(extra="forbid")

    layer: Layer = Field(description="`coaching`, `mentoring` or `network`.")
    kickoff_days: int = Field(ge=1, le=30, description="Days from approval within which the kickoff is held.")
    next_session_days: int = Field(
        ge=1, le=120, description="Days from a held session within which the next one is booked."
    )
    checkpoint_grace_days: int = Field(
        default=0, ge=0, le=14, description="Days after a checkpoint's due date before it counts as missed."
    )
    review_every_weeks: int | None = Field(
        default=None,
        ge=4,
        le=6,
        description="Coaching only: weeks between review checkpoints (4-6); null keeps the track's cadence. "
        "Mentoring milestones are quarterly.",
    )
    attendance_floor: float = Field(
        default=0.8, ge=0, le=1, description="Share of sessions attended under which the engagement breaches."
    )

    @model_validator(mode="after")
    def _reviews_are_coaching(self) -> Self:
        if self.review_every_weeks is not None and self.layer != "coaching":
            raise ValueError("review_every_weeks applies to the coaching layer only")
        return self


class SlaPolicyUpdate(BaseModel):
    """The layers to set (others keep their policy)."""

    model_config = ConfigDict(extra="forbid")

    policies: list[SlaPolicyInput] = Field(min_length=1, max_length=3, description="One entry per layer.")

    @model_validator(mode="after")
    def _one_per_layer(self) -> Self:
        layers = [p.layer for p in self.policies]
        if len(set(layers)) != len(layers):
            raise ValueError("each layer at most once")
        return self


class SlaPolicy(SlaPolicyInput):
    model_config = ConfigDict(from_attributes=True)

    program_id: UUID = Field(description="Program.")
    configured: bool = Field(description="False: the layer runs on the seed defaults.")
    updated_by: str | None = Field(default=None, description="Who set it last (client or person).")
    updated_at: datetime | None = Field(default=None, description="When it was set last.")
