"""Settings of calendar sync (`GATEWAY_CALENDAR_SYNC__...`): where the APIs are, time budgets, channels."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class CalendarSyncSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    google_api_url: str = Field(
        default="https://www.googleapis.com", description="Google Calendar API base (a fake in development)."
    )
    graph_api_url: str = Field(
        default="https://graph.microsoft.com", description="Microsoft Graph base (a fake in development)."
    )
    webhook_base_url: str | None = Field(
        default=None,
        description="Public base URL the providers send notifications to; default: the gateway's issuer.",
    )
    read_timeout_seconds: float = Field(
        default=2.0, gt=0, description="Budget of one person's free/busy read; past it: unknown (timeout)."
    )
    busy_cache_seconds: int = Field(
        default=300, ge=0, description="How long read busy times answer again (a notification clears them)."
    )
    write_attempts: int = Field(
        default=4,
        ge=1,
        description="Tries of one calendar write inside a delivery (429/503 honour Retry-After).",
    )
    write_max_wait_seconds: float = Field(
        default=30.0,
        gt=0,
        description="Longest Retry-After a write waits in place; longer ones redeliver later.",
    )
    channel_ttl_seconds: int = Field(
        default=2 * 24 * 3600, ge=60, description="Lifetime asked for a watch channel / Graph subscription."
    )
    renew_before_seconds: int = Field(
        default=12 * 3600, ge=10, description="A channel expiring sooner than this is renewed."
    )
    renew_every_seconds: float = Field(
        default=300.0, gt=0, description="How often the renewal task looks for channels to renew or create."
    )
