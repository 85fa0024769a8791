from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from tandem_kit.fields import Text


class Vendor(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID = Field(description="Vendor id; part of the ingestion URL.")
    name: str = Field(description="Vendor platform name, unique.")
    client_id: str | None = Field(description="OAuth client allowed to push for this vendor (any if null).")
    created_at: datetime = Field(description="When the vendor was registered.")


class VendorWithSecret(Vendor):
    secret: str = Field(
        description="Standard Webhooks signing secret (`whsec_` + base64). Shown once; store it now."
    )


class VendorCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text = Field(min_length=1, max_length=200, description="Vendor platform name, e.g. `BetterUp`.")
    client_id: Text | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Restrict pushes to this OAuth client id (recommended).",
    )
