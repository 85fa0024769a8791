"""Pure rules of external connections: the provider configuration, owners, states, token lifetimes."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from pydantic import SecretStr

# A token this close to its expiry is refreshed first, so it never expires in flight.
REFRESH_MARGIN = timedelta(seconds=60)
# How long a started authorization (its state and PKCE verifier) can be completed.
AUTHORIZATION_TTL = timedelta(minutes=10)
CALENDAR_PROVIDERS = frozenset({"google", "microsoft"})


class ConnectionStatus(StrEnum):
    ACTIVE = "active"
    NEEDS_REAUTH = "needs_reauth"
    DISCONNECTED = "disconnected"


@dataclass(frozen=True)
class OAuthProviderConfig:
    """How to reach one OAuth provider for one kind of connection (Google calendar, Workday, ...).

    `sealing_secret` is the gateway's `internal_secret`: the key that seals the tokens is derived from
    it, so the caller that reads tokens names it explicitly."""

    provider: str
    authorize_url: str
    token_url: str
    revoke_url: str | None
    client_id: str
    client_secret: SecretStr
    scopes: tuple[str, ...]
    redirect_uri: str
    sealing_secret: SecretStr
    extra_authorize_params: Mapping[str, str] = field(default_factory=dict)
    timeout_seconds: float = 10.0


@dataclass(frozen=True)
class Owner:
    """Whose grant it is: a person's (calendars) or an organisation-level integration's (HRIS)."""

    person_id: UUID | None = None
    integration: str | None = None

    def __post_init__(self) -> None:
        if (self.person_id is None) == (self.integration is None):
            raise ValueError("an owner is a person or an integration, exactly one")


def state_hash(state: str) -> str:
    """What is stored for an authorization's `state`: its SHA-256, so a database read cannot replay it."""
    return hashlib.sha256(state.encode()).hexdigest()


def expiry(token: Mapping[str, Any], now: datetime) -> datetime | None:
    """When an access token from a token response expires (`expires_in` seconds), None if never said."""
    expires_in = token.get("expires_in")
    if expires_in is None:
        return None
    return now + timedelta(seconds=int(expires_in))


def is_fresh(expires_at: datetime | None, now: datetime) -> bool:
    """Usable without a refresh: no announced expiry (an API key), or more than the margin left."""
    return expires_at is None or expires_at - REFRESH_MARGIN > now


def granted_scopes(token: Mapping[str, Any], requested: tuple[str, ...]) -> list[str]:
    """The scopes the provider says it granted (`scope`), else what was asked (RFC 6749 5.1)."""
    scope = token.get("scope")
    if isinstance(scope, str) and scope.strip():
        return scope.split()
    return list(requested)


# Granted with the sign-in itself, or only the refresh token: never listed back, never missing.
IMPLICIT_SCOPES = frozenset({"offline_access", "openid", "profile", "email"})
GRAPH_RESOURCE = "https://graph.microsoft.com/"


def _normal(scope: str) -> str:
    # Microsoft answers `https://graph.microsoft.com/calendars.readwrite` for a requested `Calendars.ReadWrite`.
    return scope.removeprefix(GRAPH_RESOURCE).lower()


def missing_scopes(requested: tuple[str, ...], granted: list[str]) -> list[str]:
    """The requested scopes the person did not grant (Google lets them untick each one)."""
    have = {_normal(s) for s in granted}
    return [s for s in requested if s not in IMPLICIT_SCOPES and _normal(s) not in have]
