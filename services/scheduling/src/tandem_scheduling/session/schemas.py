from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from tandem_kit.fields import Text

SessionKind = Literal["kickoff", "regular"]


class Session(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID = Field(description="Session id.")
    engagement_id: UUID = Field(description="Engagement the session belongs to.")
    kind: SessionKind = Field(description="`kickoff` (meets the kickoff SLA) or `regular`.")
    status: Literal["booked", "cancelled"] = Field(description="`booked`, or `cancelled` (kept for history).")
    starts_at: datetime = Field(description="Start instant (RFC 3339).")
    ends_at: datetime = Field(description="End instant, exclusive (RFC 3339).")
    booked_by: str = Field(description="Subject of the token that booked the session.")
    cancelled_at: datetime | None = Field(description="When the session was cancelled.")
    cancel_reason: str | None = Field(description="Why the session was cancelled.")
    created_at: datetime = Field(description="When the session was booked.")


class SessionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    starts_at: AwareDatetime = Field(
        description="Start instant with its UTC offset, on a whole minute, inside both people's working hours."
    )
    duration_minutes: int | None = Field(
        default=None,
        ge=15,
        le=240,
        description="Length in minutes; defaults to 60 for a kickoff and to the engagement's session length.",
    )
    kind: SessionKind = Field(default="regular", description="`kickoff` or `regular`.")
    accept_unverified: bool = Field(
        default=False,
        description=(
            "Book although a party's calendar is `unknown` (connected but unreadable now): the time could "
            "not be checked against it. Without it such a booking answers 409 `calendar-unverified`."
        ),
    )


class SessionCancel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Text = Field(min_length=1, max_length=2000, description="Why the session is cancelled.")
