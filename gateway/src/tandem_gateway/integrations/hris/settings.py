"""Settings of the HRIS pull connectors (`GATEWAY_HRIS__*`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class HrisSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scheduler_enabled: bool = Field(default=True, description="Run scheduled syncs in the background.")
    sync_interval_seconds: float = Field(
        default=3600.0, gt=0, description="A connector is synced again this long after its last run started."
    )
    scheduler_tick_seconds: float = Field(
        default=60.0, gt=0, description="How often the scheduler looks for connectors due a sync."
    )
    page_size: int = Field(default=100, ge=1, le=100, description="Workday workers per page (at most 100).")
    retry_attempts: int = Field(default=5, ge=1, le=20, description="Tries per HRIS call on 429/5xx.")
    max_retry_wait_seconds: float = Field(
        default=120.0, gt=0, description="Longest `Retry-After` honoured before trying again."
    )
    http_timeout_seconds: float = Field(default=30.0, gt=0, description="Read timeout of one HRIS call.")
    redirect_uri: str | None = Field(
        default=None,
        description="Where the HRIS sends the admin back with `code` and `state` (the admin console page "
        "that posts them to `.../connectors/{id}/callback`); register it with the API client. "
        "Default: `{issuer}/admin/hris/callback`.",
    )
    default_level_field: str = Field(
        default="customLevel",
        min_length=1,
        description="BambooHR field holding the level, unless the connector names one.",
    )
