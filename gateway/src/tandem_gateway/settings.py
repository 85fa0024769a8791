"""Gateway settings (environment prefix `GATEWAY_`)."""

from __future__ import annotations

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from tandem_kit.settings import KitSettings

SERVICES = ("matching", "scheduling", "consent", "analytics")


class Settings(KitSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore", env_nested_delimiter="__")

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/gateway"
    issuer: str = Field(
        default="http://127.0.0.1:8000", description="`iss` of every token; also the public base URL."
    )
    access_token_ttl_seconds: int = Field(default=900, ge=30, le=900, description="Access token lifetime.")
    key_publish_delay_seconds: float = Field(
        default=60.0,
        ge=0,
        description="How long a new signing key is published before it signs (>= jwks_refresh_seconds).",
    )
    auth_failure_limit: int = Field(
        default=10, ge=1, description="Failed client authentications allowed per window."
    )
    auth_failure_window_seconds: int = Field(
        default=60, ge=1, description="Rate-limit window for failed client authentications (seconds)."
    )
    matching_url: str = "http://127.0.0.1:8001"
    scheduling_url: str = "http://127.0.0.1:8002"
    consent_url: str = "http://127.0.0.1:8003"
    analytics_url: str = "http://127.0.0.1:8004"
    upstream_connect_timeout: float = Field(default=2.0, gt=0, description="Connect timeout to a service.")
    upstream_read_timeout: float = Field(default=30.0, gt=0, description="Read timeout from a service.")
    graphql_subgraphs: tuple[str, ...] = Field(
        default=SERVICES, description="Services whose GraphQL subgraphs are composed at /graphql."
    )
    composition_retry_seconds: float = Field(default=2.0, gt=0, description="Retry while subgraphs are down.")
    graphql_max_depth: int = Field(default=12, ge=1)
    graphql_max_cost: int = Field(default=5000, ge=1)

    @model_validator(mode="after")
    def _publish_before_signing(self) -> Settings:
        # A key that signs before every verifier has refetched the JWKS makes its tokens fail for a while.
        if self.environment != "test" and self.key_publish_delay_seconds < self.jwks_refresh_seconds:
            raise ValueError("key_publish_delay_seconds must be >= jwks_refresh_seconds")
        return self

    def service_url(self, service: str) -> str:
        urls = {
            "matching": self.matching_url,
            "scheduling": self.scheduling_url,
            "consent": self.consent_url,
            "analytics": self.analytics_url,
        }
        return urls[service].rstrip("/")

    @property
    def token_url(self) -> str:
        return self.issuer.rstrip("/") + "/oauth/token"
