from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from tandem_consent.schemas import FieldKeys, Key
from tandem_kit.fields import Text


class Purpose(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID = Field(description="Purpose id.")
    key: str = Field(description="Stable key, e.g. `matching`.")
    title: str = Field(description="Short human title.")
    description: str = Field(description="What the data is used for, as shown in the notice.")
    notice_version: int = Field(description="Version of the notice currently shown to people.")
    fields: list[str] = Field(
        description="Data-inventory fields the current notice documents; the purpose may use no others."
    )
    created_at: datetime = Field(description="When the purpose was created.")


class PurposeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: Key
    title: Text = Field(min_length=1, max_length=200, description="Short human title.")
    description: Text = Field(min_length=1, max_length=4000, description="Notice text.")
    fields: FieldKeys = Field(default_factory=list, description="Data-inventory fields the purpose uses.")


class PurposeUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Text | None = Field(default=None, min_length=1, max_length=200, description="New title.")
    description: Text | None = Field(
        default=None, min_length=1, max_length=4000, description="New notice text; bumps the notice version."
    )
    fields: FieldKeys | None = Field(
        default=None, description="New list of data-inventory fields; a change bumps the notice version."
    )


class Notice(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int = Field(description="Notice version; consents name the version they were given to.")
    description: str = Field(description="The notice text of this version.")
    fields: list[str] = Field(description="The data-inventory fields this version documents.")
    published_at: datetime = Field(description="When this version was published.")
