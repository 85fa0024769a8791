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
