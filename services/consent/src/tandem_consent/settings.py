"""Consent service settings (environment prefix `CONSENT_`)."""

from typing import Annotated

from fastapi import Depends, Request
from pydantic import Field
from pydantic_settings import SettingsConfigDict

from tandem_kit.settings import KitSettings


class Settings(KitSettings):
    model_config = SettingsConfigDict(env_prefix="CONSENT_", extra="ignore", env_nested_delimiter="__")

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/consent"
    retention_interval_seconds: float = Field(
        default=86400.0,
        ge=0,
        description="How often the retention purge runs in the service; 0 turns it off.",
    )
    dsr_services: list[str] = Field(
        default=["consent", "matching", "scheduling", "analytics", "gateway"],
        min_length=1,
        description=(
            "Services that hold personal data: each sends a receipt for every data-subject request "
            "(the gateway for its people directory and integrations, docs/hris.md)."
        ),
    )
    dsr_due_days: int = Field(
        default=30, ge=1, le=90, description="Days to answer a data-subject request (GDPR: one month)."
    )


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings)]
