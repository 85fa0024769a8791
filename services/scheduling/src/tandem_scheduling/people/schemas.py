from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict


class PersonDeactivated(BaseModel):
    """The `data` of the gateway's `PersonDeactivated` (docs/contracts.md); other fields are ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    person_id: UUID
    deactivated_at: datetime


class PersonReactivated(BaseModel):
    """The `data` of the gateway's `PersonReactivated` (docs/contracts.md); other fields are ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    person_id: UUID
    reactivated_at: datetime
