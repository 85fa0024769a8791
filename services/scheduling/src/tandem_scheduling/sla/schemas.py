from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class SlaClock(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID = Field(description="SLA clock id.")
    engagement_id: UUID = Field(description="Engagement the promise belongs to.")
    kind: str = Field(description="Which promise, e.g. `kickoff` (first session booked within 7 days).")
    due_at: datetime = Field(description="Deadline.")
    met_at: datetime | None = Field(description="When the promise was kept; null while open.")
    breached_at: datetime | None = Field(description="When the deadline was found missed; set once.")
