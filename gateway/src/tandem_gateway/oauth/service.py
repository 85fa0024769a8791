"""The OAuth protocol: client authentication, token issue, revocation, introspection."""

from __future__ import annotations

import asyncio
import base64
import binascii
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import unquote_plus

import structlog
from authlib.jose import JsonWebToken
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_gateway.models import OAuthClient
from tandem_gateway.oauth import repository
from tandem_gateway.oauth.domain import (
    ACCESS_TOKEN_TYPE,
    AUDIENCES,
    DEFAULT_AUDIENCE,
    JWT_TOKEN_TYPE,
    TOKEN_EXCHANGE_GRANT,
    granted_scopes,
    hash_secret,
    retry_after,
    sliding_count,
    verify_secret,
    window_start,
)
from tandem_gateway.oauth.errors import (
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
    InvalidTargetError,
    TooManyAttemptsError,
    UnauthorizedClientError,
    UnsupportedGrantTypeError,
    invalid_client,
)
from tandem_gateway.oauth.keys import ALGORITHM, KeyStore
from tandem_gateway.oauth.schemas import Introspection, TokenResponse
from tandem_gateway.oauth.verifier import GatewayTokenVerifier
from tandem_gateway.settings import Settings
from tandem_kit.auth import Principal
from tandem_kit.errors import ProblemError, Unauthorized
from tandem_kit.fields import has_nul

if TYPE_CHECKING:
    from tandem_gateway.oauth.user_tokens import UserTokens

log = structlog.get_logger("tandem.gateway.oauth")

_jwt = JsonWebToken([ALGORITHM])
# Compared against when the client id is unknown, so a miss costs the same time as a wrong secret.
DUMMY_HASH = hash_secret("not-a-secret", salt=b"tandem-dummy-salt")

Form = Mapping[str, Sequence[str]]


@dataclass(frozen=True)
class PresentedCredentials:
    client_id: str
    secret: str
    method: str


def _single(form: Form, name: str) -> str | None:
    values = form.get(name) or []
    if len(values) > 1:
        raise InvalidRequestError(description=f"The parameter {name} is repeated.")
    return values[0] if values else None


def presented_credentials(authorization: str | None, form: Form) -> PresentedCredentials:
    """client_secret_basic (RFC 6749 2.3.1, form-encoded id and secret) or client_secret_post.

    Neither may hold NUL (PostgreSQL text cannot): Basic credentials are checked here, a form was
    refused whole when it was read (`endpoints.read_form`)."""
    form_id, form_secret = _single(form, "client_id"), _single(form, "client_secret")
    if authorization and authorization.lower().startswith("basic "):
        if form_secret is not None:
            raise InvalidRequestError(description="Use one client authentication method, not two.")
        try:
            decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
            raw_id, raw_secret = decoded.split(":", 1)
        except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
            raise invalid_client("The Basic credentials are malformed.") from exc
        client_id, secret = unquote_plus(raw_id), unquote_plus(raw_secret)
        if has_nul(client_id) or has_nul(secret):
            raise invalid_client("The Basic credentials are malformed.")
        return PresentedCredentials(client_id, secret, "client_secret_basic")
    if form_id and form_secret is not None:
        return PresentedCredentials(form_id, form_secret, "client_secret_post")
    raise invalid_client("Client authentication is required.")


async def authenticate_client(
    session: AsyncSession, settings: Settings, credentials: PresentedCredentials, *, source: str
) -> OAuthClient:
    """The enabled client whose secret matches, whoever failed before: the right secret is always
    accepted. Failures are counted per source address, and a source past the limit in the window gets
    429 with Retry-After, so wrong secrets sent for a client id (ids are public: they are in every
    token) throttle the sender, never lock the client out. A secret is 256 random bits, so the limit
    is there to slow down and flag a hammering source, not to keep the secret from being guessed."""
    client = await repository.get_client(session, credentials.client_id)
    stored = client.secret_hash if client is not None else DUMMY_HASH
    matches = await asyncio.to_thread(verify_secret, credentials.secret, stored)
    if client is not None and matches and client.enabled:
        return client
    now = datetime.now(UTC)
    # The caller commits even though the request fails: the endpoint returns, it does not raise.
    failures = await count_failure(session, settings, source, now)
    log.info(
        "gateway.oauth.client_auth_failed",
        client_id=credentials.client_id,
        method=credentials.method,
        source_failures=failures,
    )
    if failures > settings.auth_failure_limit:
        raise TooManyAttemptsError(retry_after(now, settings.auth_failure_window_seconds))
    raise invalid_client("Client authentication failed.")


async def count_failure(session: AsyncSession, settings: Settings, source: str, now: datetime) -> float:
    """Count one failed authentication of `source` (shared by every replica, `auth_failures`) and
    return its failures over the last window (sliding: the current window and the share of the
    previous one it still covers). Whatever failed (an OAuth client secret, an LMS's Basic
    credentials), one source has one budget."""
    window = window_start(now, settings.auth_failure_window_seconds)
    previous_window = window - timedelta(seconds=settings.auth_failure_window_seconds)
    await repository.forget_failures_before(session, source, previous_window)
    in_window = await repository.record_failure(session, source, window)
    previous = await repository.failures_in(session, source, previous_window)
    return sliding_count(in_window, previous, now, settings.auth_failure_window_seconds)


def _audience(form: Form) -> str:
    values = [*form.get("resource", []), *form.get("audience", [])]
    if not values:
        return DEFAULT_AUDIENCE
    if len(values) > 1:
        raise InvalidTargetError(description="Request one resource (audience) per token.")
    if values[0] not in AUDIENCES:
        raise InvalidTargetError(description=f"Unknown resource; use one of: {' '.join(AUDIENCES)}.")
    return values[0]


async def issue_token(
    client: OAuthClient,
    *,
    form: Form,
    keystore: KeyStore,
    settings: Settings,
    user_tokens: UserTokens | None = None,
) -> TokenResponse:
    grant_type = _single(form, "grant_type")
    if grant_type is None:
        raise InvalidRequestError(description="The parameter grant_type is required.")
    if grant_type == TOKEN_EXCHANGE_GRANT and user_tokens is not None and user_tokens.enabled:
        return await exchange_token(client, form=form, user_tokens=user_tokens)
    if grant_type != "client_credentials":
        raise UnsupportedGrantTypeError(grant_type)
    scopes = granted_scopes(_single(form, "scope"), client.scopes)
    if scopes is None:
        raise InvalidScopeError(description="The client may not request some of these scopes.")
    audience = _audience(form)
    await keystore.refresh()
    token, _ = sign_access_token(
        keystore,
        issuer=settings.issuer,
        subject=client.client_id,
        client_id=client.client_id,
        client_name=client.name,
        audience=audience,
        scopes=scopes,
        ttl=timedelta(seconds=settings.access_token_ttl_seconds),
    )
    log.info("gateway.oauth.token_issued", client_id=client.client_id, scope=" ".join(scopes), aud=audience)
    return TokenResponse(
        access_token=token, expires_in=settings.access_token_ttl_seconds, scope=" ".join(scopes)
    )


async def exchange_token(client: OAuthClient, *, form: Form, user_tokens: UserTokens) -> TokenResponse:
    """RFC 8693: a trusted IdP's user token (subject) for the Tandem token the edge would use for it."""
    if "token:exchange" not in client.scopes:
        raise UnauthorizedClientError(
            description="The client may not exchange tokens (scope token:exchange)."
        )
    subject_token = _single(form, "subject_token")
    if not subject_token:
        raise InvalidRequestError(description="The parameter subject_token is required.")
    if _single(form, "subject_token_type") not in (JWT_TOKEN_TYPE, ACCESS_TOKEN_TYPE):
        raise InvalidRequestError(description=f"The parameter subject_token_type must be {JWT_TOKEN_TYPE}.")
    if _single(form, "requested_token_type") not in (None, ACCESS_TOKEN_TYPE):
        raise InvalidRequestError(description=f"Only {ACCESS_TOKEN_TYPE} can be requested.")
    unsupported = [name for name in ("actor_token", "scope", "resource", "audience") if name in form]
    if unsupported:
        raise InvalidRequestError(
            description=f"Not supported with token exchange: {', '.join(unsupported)} (scopes follow roles)."
        )
    try:
        minted = await user_tokens.exchange(subject_token)
    except ProblemError as exc:
        raise InvalidGrantError(description=exc.detail or exc.title) from exc
    log.info("gateway.oauth.token_exchanged", client_id=client.client_id, sub=minted.claims["sub"])
    return TokenResponse(
        access_token=minted.token,
        issued_token_type=ACCESS_TOKEN_TYPE,
        expires_in=max(0, minted.expires_at - int(user_tokens.keystore.clock().timestamp())),
        scope=minted.scope,
    )


def sign_access_token(
    keystore: KeyStore,
    *,
    issuer: str,
    subject: str,
    client_id: str,
    audience: str | list[str],
    scopes: Sequence[str],
    ttl: timedelta,
    client_name: str | None = None,
    expires_at: int | None = None,
    extra_claims: Mapping[str, object] | None = None,
) -> tuple[str, dict[str, object]]:
    """An RFC 9068 access token signed by the current key; `client_name` (unique per client) lets a
    service tell which Tandem service a machine token belongs to. `expires_at` (epoch seconds) caps
    the lifetime below `ttl`; `extra_claims` carry a person's `person_id`, `roles` and `act`."""
    key = keystore.signing_key()
    now = int(keystore.clock().timestamp())
    exp = now + int(ttl.total_seconds())
    if expires_at is not None:
        exp = min(exp, expires_at)
    claims: dict[str, object] = {
        "iss": issuer,
        "sub": subject,
        "aud": audience,
        "client_id": client_id,
        "scope": " ".join(scopes),
        "jti": uuid.uuid4().hex,
        "iat": now,
        "nbf": now,
        "exp": exp,
    }
    if client_name is not None:
        claims["client_name"] = client_name
    if extra_claims:
        claims.update(extra_claims)
    header = {"alg": ALGORITHM, "typ": "at+jwt", "kid": key.kid}
    raw: bytes = _jwt.encode(header, claims, key.private)
    return raw.decode(), claims


async def _presented_token(form: Form, verifier: GatewayTokenVerifier) -> Principal | None:
    """Who the required `token` parameter (RFC 7009, RFC 7662) belongs to; None if it does not verify."""
    token = _single(form, "token")
    if not token:
        raise InvalidRequestError(description="The parameter token is required.")
    try:
        return await verifier.verify(token, audiences=AUDIENCES)
    except Unauthorized:
        return None


async def revoke_token(
    session: AsyncSession, client: OAuthClient, *, form: Form, verifier: GatewayTokenVerifier
) -> None:
    """RFC 7009: revoke a token issued to this client (admins: any); unknown or invalid tokens are ignored."""
    principal = await _presented_token(form, verifier)
    if principal is None:
        return
    if principal.client_id != client.client_id and "admin" not in client.scopes:
        raise UnauthorizedClientError(description="The token was issued to another client.")
    expires_at = datetime.fromtimestamp(int(principal.claims["exp"]), UTC)
    await repository.revoke(
        session, jti=principal.token_id, client_id=principal.client_id, expires_at=expires_at
    )
    verifier.revoke_locally(principal.token_id)
    log.info("gateway.oauth.token_revoked", jti=principal.token_id, by=client.client_id)


async def introspect_token(
    session: AsyncSession, *, form: Form, verifier: GatewayTokenVerifier
) -> Introspection:
    """RFC 7662 for any authenticated client; inactive tokens reveal nothing."""
    principal = await _presented_token(form, verifier)
    if principal is None:
        return Introspection(active=False)
    if await repository.is_revoked(session, principal.token_id):
        return Introspection(active=False)
    claims = principal.claims
    return Introspection(
        active=True,
        scope=" ".join(sorted(principal.scopes)),
        client_id=principal.client_id,
        sub=principal.subject,
        aud=claims.get("aud"),
        iss=claims.get("iss"),
        exp=claims.get("exp"),
        iat=claims.get("iat"),
        jti=principal.token_id,
        token_type="Bearer",
    )


async def revoked_ids(session: AsyncSession) -> list[str]:
    return await repository.unexpired_revoked_ids(session)
