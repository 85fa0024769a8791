"""Matching service settings (environment prefix `MATCHING_`)."""

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from tandem_kit.settings import PLACEHOLDER_SECRETS, KitSettings


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

    @model_validator(mode="after")
    def _real_client_secret(self) -> "Settings":
        if self.environment == "production" and self.client_secret.get_secret_value() in PLACEHOLDER_SECRETS:
            raise ValueError("client_secret must be set to a real secret in production")
        return self
