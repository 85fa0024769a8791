"""Matching service settings (environment prefix `MATCHING_`)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from tandem_kit.settings import CallerSettings


class Settings(CallerSettings):
    model_config = SettingsConfigDict(env_prefix="MATCHING_", extra="ignore", env_nested_delimiter="__")

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/matching"
    client_id: str = Field(default="matching", description="This service's OAuth client id.")
    consent_cache_seconds: float = Field(
        default=60.0, ge=0, description="How long a consent decision is reused (invalidated on events)."
    )
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
