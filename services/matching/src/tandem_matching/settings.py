"""Matching service settings (environment prefix `MATCHING_`)."""

from typing import Annotated

from fastapi import Depends, Request
from pydantic import BaseModel, Field
from pydantic_settings import SettingsConfigDict

from tandem_kit.settings import CallerSettings


class DirectorySettings(BaseModel):
    """How matching reads the HR directory (`MATCHING_DIRECTORY__...`)."""

    leader_level_rank: int = Field(
        default=3,
        ge=0,
        description="A person counts as a leader for the coach-pool rule (8-12 % of active leaders) "
        "when their `level_rank` (position in the gateway's level ladder, lowest first) is at least this.",
    )


class Settings(CallerSettings):
    model_config = SettingsConfigDict(env_prefix="MATCHING_", extra="ignore", env_nested_delimiter="__")

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/matching"
    client_id: str = Field(default="matching", description="This service's OAuth client id.")
    consent_cache_seconds: float = Field(
        default=60.0, ge=0, description="How long a consent decision is reused (invalidated on events)."
    )
    directory: DirectorySettings = Field(default_factory=DirectorySettings)
    calibration_review_max_days: int = Field(
        default=91,
        ge=1,
        le=3660,
        description="A coach's last calibration review lapses at this age (a quarter).",
    )
    recertification_max_days: int = Field(
        default=365, ge=1, le=3660, description="A coach's certification lapses at this age (a year)."
    )
    eligibility_scan_seconds: float = Field(
        default=3600.0, ge=0, description="How often lapses are looked for (0 disables the scan)."
    )


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings)]
