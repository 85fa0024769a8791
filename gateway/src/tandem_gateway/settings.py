"""Gateway settings (environment prefix `GATEWAY_`)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from tandem_gateway.calendars.settings import CalendarSyncSettings
from tandem_gateway.connections.settings import CalendarOAuthSettings
from tandem_gateway.directory.settings import DirectorySettings
from tandem_gateway.federation.limits import GATEWAY_LIMITS
from tandem_gateway.integrations.hris.settings import HrisSettings
from tandem_gateway.oauth.domain import CLIENT_ONLY_SCOPES, ROLES, SCOPES
from tandem_kit.graphql import GraphQLLimits
from tandem_kit.settings import KitSettings

SERVICES = ("matching", "scheduling", "consent", "analytics")


class UserTokenIssuer(BaseModel):
    """An enterprise IdP whose user access tokens the gateway accepts (see docs/gateway.md, People)."""

    model_config = ConfigDict(extra="forbid")

    issuer: str = Field(min_length=1, description="The IdP's `iss`, exactly as in its tokens.")
    jwks_url: str = Field(
        min_length=1, description="The IdP's JWKS (fetched, cached, refetched on unknown kid)."
    )
    audience: str = Field(min_length=1, description="The `aud` the IdP puts in tokens meant for Tandem.")
    person_claim: str = Field(
        default="tandem_person_id",
        description="Claim holding the person's UUID; without it the directory is asked (sub = externalId, "
        "then `email_claim` = work e-mail).",
    )
    email_claim: str = Field(
        default="email", description="Claim holding the user's e-mail (directory lookup)."
    )
    roles_claim: str = Field(default="groups", description="Claim holding the user's IdP groups.")
    role_map: dict[str, str] = Field(default_factory=dict, description="IdP group -> Tandem role.")
    scopes_by_role: dict[str, list[str]] = Field(
        default_factory=dict, description="Tandem role -> the scopes a person with it gets."
    )

    @model_validator(mode="after")
    def _known_roles_and_scopes(self) -> UserTokenIssuer:
        roles = set(self.role_map.values()) | set(self.scopes_by_role)
        unknown_roles = sorted(roles - set(ROLES))
        if unknown_roles:
            raise ValueError(f"{self.issuer}: unknown roles {' '.join(unknown_roles)}; use {' '.join(ROLES)}")
        scopes = {s for listed in self.scopes_by_role.values() for s in listed}
        unknown_scopes = sorted(scopes - (set(SCOPES) - CLIENT_ONLY_SCOPES))
        if unknown_scopes:
            raise ValueError(f"{self.issuer}: scopes not for people: {' '.join(unknown_scopes)}")
        return self


class XapiSettings(BaseModel):
    """The xAPI integration (GATEWAY_XAPI__...): who an actor is, and statements out."""

    model_config = ConfigDict(extra="forbid")

    account_home_pages: list[str] = Field(
        default_factory=list,
        description="LMS account homePages whose `account.name` is the person's directory externalId.",
    )
    consent_purpose: str = Field(
        default="lrs_reporting",
        description="Consent purpose a person grants before statements about them go out.",
    )
    activity_base: str = Field(
        default="https://tandem.example/xapi/activities",
        description="IRI base of the activities Tandem reports (milestones, tracks).",
    )
    send_attempts: int = Field(
        default=4, ge=1, le=10, description="Tries per statement before the event is retried."
    )
    send_max_wait_seconds: float = Field(
        default=30.0, gt=0, description="Longest wait between tries (Retry-After is honoured up to it)."
    )


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
        default=10,
        ge=1,
        description="Failed client authentications one source address may make per window (then 429); "
        "the right secret is accepted regardless.",
    )
    auth_failure_window_seconds: int = Field(
        default=60, ge=1, description="Rate-limit window for failed client authentications (seconds)."
    )
    matching_url: str = "http://127.0.0.1:8001"
    scheduling_url: str = "http://127.0.0.1:8002"
    consent_url: str = "http://127.0.0.1:8003"
    analytics_url: str = "http://127.0.0.1:8004"
    max_form_body_bytes: int = Field(
        default=64 * 1024,
        ge=1024,
        description="Largest body the OAuth endpoints (/oauth/token, revoke, introspect) accept; 413 above.",
    )
    upstream_connect_timeout: float = Field(default=2.0, gt=0, description="Connect timeout to a service.")
    upstream_read_timeout: float = Field(default=30.0, gt=0, description="Read timeout from a service.")
    graphql_subgraphs: tuple[str, ...] = Field(
        default=(*SERVICES, "gateway"),
        description="Subgraphs composed at /graphql: the services', and `gateway` (its own, in-process).",
    )
    composition_retry_seconds: float = Field(default=2.0, gt=0, description="Retry while subgraphs are down.")
    graphql_max_depth: int = Field(default=12, ge=1)
    graphql_max_cost: int = Field(default=5000, ge=1)
    graphql_limits: GraphQLLimits = Field(
        default=GATEWAY_LIMITS,
        description="Bounds on one /graphql request, checked before validation (GATEWAY_GRAPHQL_LIMITS__MAX_FIELDS…).",
    )
    xapi: XapiSettings = Field(default_factory=XapiSettings, description="The xAPI integration (LMS/LRS).")
    user_token_issuers: list[UserTokenIssuer] = Field(
        default_factory=list,
        description="Enterprise IdPs whose user tokens the gateway accepts (JSON list); empty: feature off.",
    )
    directory: DirectorySettings = Field(
        default_factory=DirectorySettings,
        description="The people directory: level ladder, leader threshold, promotion rule (docs/hris.md).",
    )
    hris: HrisSettings = Field(
        default_factory=HrisSettings,
        description="HRIS pull connectors (GATEWAY_HRIS__SYNC_INTERVAL_SECONDS…).",
    )
    calendar_oauth: CalendarOAuthSettings = Field(
        default_factory=CalendarOAuthSettings,
        description="Google and Microsoft app registrations people connect calendars through "
        "(GATEWAY_CALENDAR_OAUTH__GOOGLE__CLIENT_ID...).",
    )
    calendar_sync: CalendarSyncSettings = Field(
        default_factory=CalendarSyncSettings,
        description="Free/busy, session events and change notifications (GATEWAY_CALENDAR_SYNC__...).",
    )

    @field_validator("graphql_limits", mode="before")
    @classmethod
    def _gateway_limit_defaults(cls, value: Any) -> Any:
        # One limit set from the environment keeps the gateway's defaults for the others.
        return {**GATEWAY_LIMITS.model_dump(), **value} if isinstance(value, dict) else value

    @model_validator(mode="after")
    def _publish_before_signing(self) -> Settings:
        # A key that signs before every verifier has refetched the JWKS makes its tokens fail for a while.
        if self.environment != "test" and self.key_publish_delay_seconds < self.jwks_refresh_seconds:
            raise ValueError("key_publish_delay_seconds must be >= jwks_refresh_seconds")
        return self

    @model_validator(mode="after")
    def _distinct_user_token_issuers(self) -> Settings:
        issuers = [i.issuer for i in self.user_token_issuers]
        if len(set(issuers)) != len(issuers):
            raise ValueError("user_token_issuers lists an issuer twice")
        if self.issuer in issuers:
            raise ValueError("user_token_issuers cannot include the gateway's own issuer")
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
