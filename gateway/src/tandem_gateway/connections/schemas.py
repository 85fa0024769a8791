from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from tandem_kit.fields import Text

CalendarProvider = Literal["google", "microsoft"]


class CalendarConnection(BaseModel):
    """A person's calendar connection; its tokens never leave the gateway."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID = Field(description="Connection id (stable across reconnects).")
    provider: str = Field(description="`google` or `microsoft`.")
    status: Literal["active", "needs_reauth", "disconnected"] = Field(
        description="`active`: usable; `needs_reauth`: the provider refused the grant, connect again; "
        "`disconnected`: the person disconnected it."
    )
    scopes: list[str] = Field(description="The scopes the provider granted.")
    connected_at: datetime = Field(description="When the person last completed the provider's consent.")
    refreshed_at: datetime | None = Field(description="Last access-token refresh.")
    broken_at: datetime | None = Field(description="When it stopped being active, if it did.")
    broken_reason: str | None = Field(description="`invalid_grant` or `disconnected`, if not active.")


class CalendarConnectionStart(BaseModel):
    provider: CalendarProvider = Field(description="The calendar provider to connect.")


class CalendarAuthorization(BaseModel):
    authorize_url: str = Field(
        description="Send the person's browser here; the provider sends it back to the configured "
        "redirect URI with `code` and `state`, which the front end posts to `.../callback`."
    )
    expires_at: datetime = Field(description="The authorization must be completed before this time.")


class CalendarConnectionCallback(BaseModel):
    state: Text = Field(min_length=1, max_length=512, description="`state` from the redirect.")
    code: Text = Field(min_length=1, max_length=4096, description="`code` from the redirect.")


class CalendarDisconnection(BaseModel):
    connection: CalendarConnection = Field(description="The connection, now `disconnected`.")
    revoked_at_provider: bool = Field(
        description="The provider confirmed the revocation (Google); false where it has no revocation "
        "endpoint (Microsoft: remove the app at myapps.microsoft.com) or could not be reached."
    )


class CalendarHealth(BaseModel):
    person_id: UUID = Field(description="The person.")
    connected: bool = Field(description="The person has a calendar connection that is not disconnected.")
    healthy: bool = Field(description="At least one of their connections is active (readable now).")
