"""The gateway's HR events as matching reads them (docs/contracts.md): only the facts matching uses."""

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class PersonProvisioned(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    person_id: UUID
    active: bool = True
    level: str | None = None
    level_rank: int | None = None
    department: str | None = None
    manager_id: UUID | None = None
    hire_date: date | None = None
    occurred_at: datetime


class JobFacts(BaseModel):
    """One side (`old` or `new`) of a `PersonJobChanged`."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    level: str | None = None
    level_rank: int | None = None
    department: str | None = None
    manager_id: UUID | None = None


class PersonJobChanged(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    person_id: UUID
    old: JobFacts
    new: JobFacts
    promotion: bool = False
    effective_at: datetime


class PersonDeactivated(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    person_id: UUID
    deactivated_at: datetime


class PersonReactivated(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    person_id: UUID
    reactivated_at: datetime


class ActiveLeaders(BaseModel):
    """How many active leaders the coach-pool rule divides by, and where the number came from."""

    count: int | None = Field(description="Active leaders, or None when nothing says.")
    source: str = Field(description="override (typed on the program), directory, or unknown.")
