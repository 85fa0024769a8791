from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from tandem_kit.fields import Text

EscalationStatus = Literal["open", "acknowledged", "resolved"]


class Escalation(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID = Field(description="Escalation id.")
    engagement_id: UUID = Field(description="The engagement whose promise was breached.")
    program_id: UUID = Field(description="Program of the engagement.")
    layer: str = Field(description="`coaching`, `mentoring` or `network`.")
    sla: str = Field(description="The breached promise, e.g. `kickoff_held`, `checkpoint_held`.")
    due_at: datetime = Field(description="The promise's deadline.")
    opened_at: datetime = Field(description="When the breach was found and the escalation opened.")
    rebreach: bool = Field(
        description="The same engagement and SLA breached again after a resolved escalation."
    )
    status: EscalationStatus = Field(description="`open`, `acknowledged` or `resolved`.")
    assignee_id: UUID | None = Field(
        description="Person in program operations who owns it; null: nobody yet."
    )
    assigned_at: datetime | None = Field(description="When it was last assigned.")
    acknowledged_at: datetime | None = Field(description="When the owner acknowledged it.")
    acknowledged_by: str | None = Field(description="Who acknowledged it (person or client).")
    resolved_at: datetime | None = Field(description="When it was resolved.")
    resolved_by: str | None = Field(description="Who resolved it (person or client).")
    resolution_note: str | None = Field(
        description="What was done; stays in scheduling (erasure and retention clear it)."
    )


class EscalationAssign(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assignee_id: UUID = Field(description="Person id of the program operations owner.")


class EscalationResolve(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    note: Text = Field(
        min_length=1, max_length=4000, description="What was done about the breach (required)."
    )


class EscalationFilter(BaseModel):
    """Queue filters (all optional, combined with AND)."""

    program_id: UUID | None = None
    layer: Literal["coaching", "mentoring", "network"] | None = None
    status: EscalationStatus | None = None
    older_than_days: int | None = Field(default=None, ge=0, le=3650)
    assignee_id: UUID | None = None
