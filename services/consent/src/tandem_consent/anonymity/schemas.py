from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from tandem_consent.anonymity.domain import Reason
from tandem_consent.schemas import FieldKeys
from tandem_kit.fields import Int4, Text

Dimension = Annotated[Text, Field(max_length=64)]


class AnonymityRule(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    purpose: str = Field(validation_alias="purpose_key", description="Purpose key the rule protects.")
    min_group_size: int = Field(description="k: the smallest head count a published cell may have.")
    quasi_identifiers: list[str] = Field(description="Dimensions aggregates of this purpose may group by.")
    updated_at: datetime = Field(description="When the rule last changed.")


class AnonymityRuleUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_group_size: int = Field(
        ge=2, le=1000, description="k: the smallest head count a published cell may have."
    )
    quasi_identifiers: FieldKeys = Field(min_length=1, description="Dimensions aggregates may group by.")


class CellIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    group: dict[Dimension, Annotated[Text, Field(max_length=200)]] = Field(
        max_length=10, description='The cell\'s value on each dimension, e.g. `{"program": "p1"}`.'
    )
    count: Int4 = Field(ge=0, description="How many people the cell counts.")


class AnonymityCheck(BaseModel):
    model_config = ConfigDict(extra="forbid")

    purpose: Text = Field(min_length=1, max_length=64, description="Purpose the aggregate is for.")
    cells: list[CellIn] = Field(
        min_length=1,
        max_length=20000,
        description="Every cell of the table to publish, all on the same dimensions.",
    )


class CellOut(BaseModel):
    group: dict[str, str] = Field(description="The cell's group, as sent.")
    count: int | None = Field(description="The head count, or null when suppressed.")
    suppressed: bool = Field(description="Whether the cell must not be published.")
    reason: Reason | None = Field(
        description="`below_k`: fewer than k people; `complementary`: would give a suppressed cell away."
    )


class AnonymityResult(BaseModel):
    purpose: str = Field(description="Purpose key.")
    min_group_size: int = Field(description="k the table was checked against.")
    suppressed: int = Field(description="How many cells are suppressed.")
    cells: list[CellOut] = Field(description="The cells in request order.")
