from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class Purpose(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID = Field(description="Purpose id.")
    key: str = Field(description="Stable key, e.g. `matching`.")
    title: str = Field(description="Short human title.")
    description: str = Field(description="What the data is used for, as shown in the notice.")
    notice_version: int = Field(description="Version of the notice currently shown to people.")
    created_at: datetime = Field(description="When the purpose was created.")


class PurposeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(pattern=r"^[a-z][a-z0-9_]{1,63}$", description="Stable key (snake case).")
    title: str = Field(min_length=1, max_length=200, description="Short human title.")
    description: str = Field(min_length=1, max_length=4000, description="Notice text.")


class PurposeUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=200, description="New title.")
    description: str | None = Field(
        default=None, min_length=1, max_length=4000, description="New notice text; bumps the notice version."
    )
