"""Consent service settings (environment prefix `CONSENT_`)."""

from pydantic_settings import SettingsConfigDict

from tandem_kit.settings import KitSettings


class Settings(KitSettings):
    model_config = SettingsConfigDict(env_prefix="CONSENT_", extra="ignore", env_nested_delimiter="__")

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/consent"
