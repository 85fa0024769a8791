"""API schemas of the HRIS connectors (admin API)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationInfo, field_validator

from tandem_gateway.integrations.hris.domain import RunStatus, Vendor
from tandem_kit.fields import Text

Url = Annotated[Text, Field(max_length=2000, pattern=r"^https?://[^\s]+$")]


class ConnectorCreate(BaseModel):
    """An HRIS tenant to pull people from, with the API client registered for Tandem in it."""

    model_config = ConfigDict(extra="forbid")

    name: Text = Field(min_length=1, max_length=200, description="Unique name, e.g. `workday-acme`.")
    vendor: Vendor = Field(description="`workday` or `bamboohr`.")
    tenant: Text = Field(
        min_length=1,
        max_length=200,
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="Workday tenant name, or BambooHR company subdomain.",
    )
    api_base_url: Url = Field(
        description="Workday: the tenant's services host (`https://wd2-impl-services1.workday.com`); "
        "BambooHR: `https://api.bamboohr.com`."
    )
    auth_base_url: Url | None = Field(
        default=None,
        description="Where the admin signs in to grant access. Workday: the tenant's login host "
        "(`https://wd2-impl.workday.com`); BambooHR: `https://{company}.bamboohr.com`. Default: `api_base_url`.",
    )
    client_id: Text = Field(min_length=1, max_length=200, description="The API client's id in the HRIS.")
    client_secret: SecretStr = Field(
        min_length=1,
        max_length=500,
        description="The API client's secret (stored sealed, never shown again).",
    )
    scopes: list[Annotated[Text, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list,
        max_length=50,
        description="OAuth scopes to ask for (BambooHR: e.g. `employee`, `employee:job`; Workday: empty, "
        "the API client's registration names its functional areas).",
    )
    level_field: Text | None = Field(
        default=None,
        max_length=100,
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="BambooHR only: the field holding the job level (default `customLevel`). Workday reads "
        "the primary job's management level.",
    )

    @field_validator("level_field")
    @classmethod
    def _level_field_is_bamboohr(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("vendor") == "workday":
            raise ValueError("level_field applies to bamboohr only (Workday: the management level)")
        return value


class ConnectorUpdate(BaseModel):
    """What an admin may change on a connector (absent: unchanged)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool | None = Field(
        default=None, description="False: scheduled syncs skip it (manual ones still run)."
    )


class Connector(BaseModel):
    """An HRIS connector (its secret and tokens are never shown)."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID = Field(description="Connector id.")
    name: str = Field(description="Unique name.")
    vendor: Vendor = Field(description="`workday` or `bamboohr`.")
    tenant: str = Field(description="Workday tenant or BambooHR company.")
    api_base_url: str = Field(description="Base URL of the HRIS API.")
    auth_base_url: str = Field(description="Base URL of the HRIS sign-in.")
    client_id: str = Field(description="The API client's id in the HRIS.")
    scopes: list[str] = Field(description="OAuth scopes asked for.")
    level_field: str | None = Field(description="BambooHR field holding the job level.")
    connection_id: UUID | None = Field(
        description="The external connection holding its tokens; null until authorized."
    )
    connection_status: str | None = Field(
        default=None, description="`active`, `needs_reauth` or `disconnected`; null until authorized."
    )
    enabled: bool = Field(description="Whether scheduled syncs run.")
    created_at: datetime = Field(description="When it was created.")


class Authorization(BaseModel):
    authorize_url: str = Field(
        description="Open this in the HRIS admin's browser: they sign in, grant access, and the HRIS sends "
        "them back to the redirect URI with `code` and `state`, for `.../callback`."
    )


class AuthorizationCallback(BaseModel):
    """What the HRIS sent the admin's browser back with."""

    model_config = ConfigDict(extra="forbid")

    state: Text = Field(min_length=1, max_length=512, description="`state` from the redirect.")
    code: Text = Field(min_length=1, max_length=4096, description="`code` from the redirect.")


class SyncFailure(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    external_id: str = Field(description="The HRIS's id of the record.")
    reason: str = Field(
        description="`unknown_manager`, `manager_cycle`, `invalid_value`, `unreadable`, `hris_http_<status>`."
    )
    attribute: str | None = Field(description="The attribute at fault, when one is.")


class SyncRun(BaseModel):
    """One sync of one connector."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID = Field(description="Run id.")
    connector_id: UUID = Field(description="Connector synced.")
    trigger: str = Field(description="`schedule` or `manual`.")
    status: RunStatus = Field(description="`running`, `succeeded`, `partial`, `failed` or `needs_reauth`.")
    changed_since: datetime | None = Field(description="Start of the window asked for (null: everyone).")
    changed_through: datetime | None = Field(description="End of the window.")
    records_seen: int = Field(description="Records the HRIS returned.")
    records_changed: int = Field(description="Records that changed the directory.")
    records_unchanged: int = Field(description="Records the directory already had as they are.")
    records_failed: int = Field(description="Records that could not be applied (see `failures`).")
    error: str | None = Field(description="Why the run stopped early, if it did.")
    started_at: datetime = Field(description="Start.")
    finished_at: datetime | None = Field(description="End.")
    failures: list[SyncFailure] = Field(default_factory=list, description="Records not applied, and why.")
