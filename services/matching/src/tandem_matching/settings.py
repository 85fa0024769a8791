"""Matching service settings (environment prefix `MATCHING_`)."""

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from tandem_kit.settings import KitSettings


class Settings(KitSettings):
    model_config = SettingsConfigDict(env_prefix="MATCHING_", extra="ignore", env_nested_delimiter="__")

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/matching"
    consent_url: str = Field(
        default="http://127.0.0.1:8003", description="Base URL of the consent service (checks API)."
    )
    token_url: str = Field(
        default="http://127.0.0.1:8000/oauth/token",
        description="The gateway's token endpoint for client-credentials tokens to call consent.",
    )
    client_id: str = Field(default="matching", description="This service's OAuth client id.")
    client_secret: SecretStr = Field(default=SecretStr("dev"), description="This service's OAuth secret.")
    consent_cache_seconds: float = Field(
        default=60.0, ge=0, description="How long a consent decision is reused (invalidated on events)."
    )
