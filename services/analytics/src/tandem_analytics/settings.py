"""Analytics service settings (environment prefix `ANALYTICS_`)."""

from typing import Annotated

from fastapi import Depends, Request
from pydantic import Field
from pydantic_settings import SettingsConfigDict

from tandem_kit.settings import CallerSettings


class Settings(CallerSettings):
    model_config = SettingsConfigDict(env_prefix="ANALYTICS_", extra="ignore", env_nested_delimiter="__")

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/analytics"
    client_id: str = Field(default="analytics", description="This service's OAuth client id.")
    webhook_tolerance_seconds: int = Field(
        default=300, ge=1, le=3600, description="Accepted clock skew of `webhook-timestamp`, either way."
    )
    kpi_min_population: int = Field(
        default=5, ge=1, description="k-anonymity: a KPI over fewer people than this is suppressed."
    )
    outcomes_every_seconds: float = Field(
        default=900, ge=0, description="How often provider outcomes are computed for matching (0: never)."
    )
    kpi_snapshot_seconds: float = Field(
        default=3600, ge=0, description="How often the scheduled KPI snapshots check what is due (0: never)."
    )
    batch_max_items: int = Field(default=500, ge=1, le=5000, description="Largest accepted batch.")
    pilot_gate_scan_seconds: float = Field(
        default=3600, ge=0, description="How often due pilot gates are evaluated (0 disables the task)."
    )


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings)]
