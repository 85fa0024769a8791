"""Settings base shared by every part: database, broker, token verification, logging."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from tandem_kit.graphql import GraphQLLimits

Environment = Literal["development", "test", "production"]

PLACEHOLDER_SECRETS = frozenset({"", "change-me", "dev", "development", "secret"})


class KitSettings(BaseSettings):
    """Base for every service's settings; subclasses set `env_prefix` (e.g. ``MATCHING_``)."""

    model_config = SettingsConfigDict(env_prefix="TANDEM_", extra="ignore", env_nested_delimiter="__")

    environment: Environment = Field(default="development", description="Deployment environment.")
    database_url: str = Field(
        default="postgresql+asyncpg://postgres@127.0.0.1:5432/tandem",
        description="SQLAlchemy URL of this service's own database (asyncpg driver).",
    )
    database_pool_size: int = Field(default=10, ge=1, le=200)
    nats_url: str = Field(default="nats://127.0.0.1:4222", description="NATS server with JetStream.")
    jwks_url: str = Field(
        default="http://127.0.0.1:8000/.well-known/jwks.json",
        description="Where the gateway publishes the token signing keys.",
    )
    revocation_list_url: str | None = Field(
        default="http://127.0.0.1:8000/oauth/revoked",
        description="Where the gateway publishes revoked token ids; None disables the check.",
    )
    token_issuer: str = Field(default="http://127.0.0.1:8000", description="Expected `iss` claim.")
    token_audience: str = Field(
        default="tandem", description="Accepted `aud` claim besides the service's own."
    )
    jwks_refresh_seconds: float = Field(default=30.0, gt=0, description="JWKS and denylist refresh interval.")
    revocation_max_stale_seconds: float = Field(
        default=300.0,
        gt=0,
        description=(
            "How long the last good revoked-token list is used while it cannot be refreshed; "
            "after that, tokens are refused with 503 until it can."
        ),
    )
    outbox_poll_seconds: float = Field(default=0.5, gt=0, description="Outbox relay fallback poll interval.")
    event_retention_days: float = Field(
        default=7.0,
        gt=0,
        description=(
            "How long events (they carry personal data) stay in the broker's stream, in sent outbox rows "
            "and in dedup markers; a consumer down for longer misses them."
        ),
    )
    event_retry_first_seconds: float = Field(
        default=1.0,
        gt=0,
        description="First back-off before a failed event is offered again (then doubling).",
    )
    event_retry_max_seconds: float = Field(
        default=60.0, gt=0, description="Longest back-off between deliveries."
    )
    event_park_after_deliveries: int = Field(
        default=20,
        ge=1,
        description="Deliveries a failing event gets before it is parked in the consumer's dead_letters table.",
    )
    dead_letter_replay_seconds: float = Field(
        default=60.0, gt=0, description="How often parked (exhausted) events are replayed automatically."
    )
    idempotency_key_hours: float = Field(
        default=24.0,
        gt=0,
        description=(
            "How long a POST's Idempotency-Key and its stored answer are kept; a retry after that runs again."
        ),
    )
    max_body_bytes: int = Field(
        default=1024 * 1024,
        ge=1024,
        description="Largest request body an ordinary route accepts; larger ones get 413 before being read.",
    )
    max_bulk_body_bytes: int = Field(
        default=8 * 1024 * 1024,
        ge=1024,
        description="Largest request body a route the part declares bulk accepts (batches, exports).",
    )
    log_level: str = Field(default="INFO")
    graphql_limits: GraphQLLimits = Field(
        default_factory=GraphQLLimits,
        description="Bounds on one GraphQL request, checked before validation (`<PREFIX>GRAPHQL_LIMITS__MAX_FIELDS`).",
    )
    internal_secret: SecretStr = Field(
        default=SecretStr("dev"),
        description="Key material for secrets encrypted at rest (must be set outside development).",
    )

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> KitSettings:
        if (
            self.environment == "production"
            and self.internal_secret.get_secret_value() in PLACEHOLDER_SECRETS
        ):
            raise ValueError("internal_secret must be set to a real secret in production")
        return self


class CallerSettings(KitSettings):
    """For a service that calls other services with its own client-credentials tokens.

    Subclasses set `client_id`'s default to their own name (development clients are named so).
    """

    token_url: str = Field(
        default="http://127.0.0.1:8000/oauth/token",
        description="The gateway's token endpoint for this service's client-credentials tokens.",
    )
    client_id: str = Field(default="", description="This service's OAuth client id.")
    client_secret: SecretStr = Field(default=SecretStr("dev"), description="This service's OAuth secret.")
    consent_url: str = Field(
        default="http://127.0.0.1:8003",
        description="Base URL of the consent service (consent checks, data-subject request receipts).",
    )

    @model_validator(mode="after")
    def _real_client_secret(self) -> CallerSettings:
        if self.environment == "production" and self.client_secret.get_secret_value() in PLACEHOLDER_SECRETS:
            raise ValueError("client_secret must be set to a real secret in production")
        if not self.client_id:
            raise ValueError("client_id must name this service's OAuth client")
        return self
