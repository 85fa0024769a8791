"""Scheduling service settings (environment prefix `SCHEDULING_`)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from tandem_kit.settings import CallerSettings


class Settings(CallerSettings):
    model_config = SettingsConfigDict(env_prefix="SCHEDULING_", extra="ignore", env_nested_delimiter="__")

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/scheduling"
    client_id: str = Field(default="scheduling", description="This service's OAuth client id.")
    sla_scan_seconds: float = Field(
        default=60.0,
        ge=0,
        description="Seconds between SLA breach scans (SCHEDULING_SLA_SCAN_SECONDS); 0 disables.",
    )
