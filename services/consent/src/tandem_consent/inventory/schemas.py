from datetime import datetime
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from tandem_consent.schemas import Key
from tandem_kit.fields import Text


class Source(StrEnum):
    """The system a field comes from."""

    HRIS = "hris"
    LMS = "lms"
    INTAKE = "intake"
    CALENDAR = "calendar"
    VENDOR = "vendor"
    SCHEDULING = "scheduling"
    ANALYTICS = "analytics"


class Sensitivity(StrEnum):
    """`confidential` fields are never part of a consent by default: each must be opted into by name."""

    STANDARD = "standard"
    SENSITIVE = "sensitive"
    CONFIDENTIAL = "confidential"


class DataField(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID = Field(description="Field id.")
    key: str = Field(description="Stable key, e.g. `skills`; purposes and consents name fields by it.")
    title: str = Field(description="Short human title.")
    description: str = Field(description="What the field holds, as shown in notices.")
    source: Source = Field(description="The system the field comes from.")
    category: str = Field(description="Data category, e.g. `career`; retention policies are per category.")
    sensitivity: Sensitivity = Field(description="How sensitive the field is.")
    created_at: datetime = Field(description="When the field was added to the inventory.")
    updated_at: datetime = Field(description="When the field was last changed.")


class DataFieldCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: Key
    title: Text = Field(min_length=1, max_length=200, description="Short human title.")
    description: Text = Field(min_length=1, max_length=4000, description="What the field holds.")
    source: Source = Field(description="The system the field comes from.")
    category: Key = Field(description="Data category (snake case).")
    sensitivity: Sensitivity = Field(description="How sensitive the field is.")


class DataFieldUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Text | None = Field(default=None, min_length=1, max_length=200, description="New title.")
    description: Text | None = Field(default=None, min_length=1, max_length=4000, description="New text.")
    category: Key | None = Field(default=None, description="New data category.")
    sensitivity: Sensitivity | None = Field(default=None, description="New sensitivity.")
