"""External connections: the authorization-code flow (PKCE S256 and a one-use `state`), sealed tokens,
refresh under a row lock, revocation.

`access_token` is what the integrations call before each request to a provider; it opens its own
transactions (a refresh must be saved even when the caller's own work rolls back), so it takes the
sessionmaker. The flow helpers take the caller's session: the request is their unit of work.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import httpx
import structlog
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError
from authlib.integrations.httpx_client import AsyncOAuth2Client
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tandem_gateway.connections import repository
from tandem_gateway.connections.domain import (
    AUTHORIZATION_TTL,
    CALENDAR_PROVIDERS,
    ConnectionStatus,
    OAuthProviderConfig,
    Owner,
    expiry,
    granted_scopes,
    is_fresh,
    missing_scopes,
    state_hash,
)
from tandem_gateway.events import CalendarConnected, CalendarConnectionBroken
from tandem_gateway.models import ConnectionAuthorization, ExternalConnection
from tandem_kit.errors import BadRequest, NotFound, ServiceUnavailable
from tandem_kit.events import emit
from tandem_kit.sealing import fernet_for

log = structlog.get_logger("tandem.gateway.connections")

TOKENS_INFO = b"tandem.gateway.connections.tokens"
VERIFIER_INFO = b"tandem.gateway.connections.pkce-verifier"


class ConnectionNotFound(NotFound):
    code, title = "connection-not-found", "Connection not found"


class NotConnected(ConnectionNotFound):
    """No usable grant: the connection does not exist or was disconnected."""

    code, title = "not-connected", "Not connected"


class NeedsReauth(BadRequest):
    """The provider refused the grant (`invalid_grant`: revoked, expired, password changed): the owner
    must connect again."""

    status, code, title = 409, "needs-reauth", "Connection needs re-authorization"


class AuthorizationNotFound(BadRequest):
    """The `state` is unknown, already used, expired, or was started by someone else."""

    code, title = "authorization-not-found", "Unknown or expired authorization"


class AuthorizationRefused(BadRequest):
    """The provider refused the authorization code (used twice, expired, wrong PKCE verifier)."""

    code, title = "authorization-refused", "Authorization refused by the provider"


class ScopesNotGranted(BadRequest):
    """The person unticked a permission Tandem needs on the provider's consent screen: connect again and
    allow all of them (busy times and the person's own events only)."""

    code, title = "scopes-not-granted", "Permissions not granted"


class ProviderUnavailable(ServiceUnavailable):
    """The provider's token endpoint failed (5xx, timeout, an answer that is no token)."""

    status, code, title = 502, "provider-unavailable", "Provider unavailable"


def _fernet(oauth: OAuthProviderConfig, info: bytes) -> Fernet:
    return fernet_for(oauth.sealing_secret.get_secret_value(), info=info)


def seal(oauth: OAuthProviderConfig, value: str, *, info: bytes = TOKENS_INFO) -> str:
    return _fernet(oauth, info).encrypt(value.encode()).decode()


def unseal(oauth: OAuthProviderConfig, sealed: str, *, info: bytes = TOKENS_INFO) -> str:
    try:
        return _fernet(oauth, info).decrypt(sealed.encode()).decode()
    except InvalidToken as exc:  # a rotated internal secret: the grant cannot be read any more
        raise NeedsReauth("The stored grant cannot be read; connect again.") from exc


def oauth_client(oauth: OAuthProviderConfig, *, with_scope: bool = True) -> AsyncOAuth2Client:
    """authlib's httpx client for this provider: PKCE S256, client secret in the form body (what
    Google and Microsoft both accept). A refresh sends no `scope`: it keeps what was granted."""
    return AsyncOAuth2Client(
        client_id=oauth.client_id,
        client_secret=oauth.client_secret.get_secret_value(),
        token_endpoint_auth_method="client_secret_post",
        revocation_endpoint_auth_method="client_secret_post",
        scope=" ".join(oauth.scopes) if with_scope else None,
        redirect_uri=oauth.redirect_uri,
        code_challenge_method="S256",
        timeout=oauth.timeout_seconds,
    )


# -- authorization-code flow -------------------------------------------------------------------------


async def begin_authorization(
    session: AsyncSession, owner: Owner, *, oauth: OAuthProviderConfig, now: datetime | None = None
) -> str:
    """The provider's authorize URL for `owner`; its `state` and PKCE verifier are kept server-side
    (state hashed, verifier sealed) for `AUTHORIZATION_TTL`, for one callback."""
    now = now or datetime.now(UTC)
    await repository.purge_authorizations(session, now)
    state = secrets.token_urlsafe(32)
    verifier = generate_token(64)
    async with oauth_client(oauth) as client:
        url, _ = client.create_authorization_url(
            oauth.authorize_url, state=state, code_verifier=verifier, **dict(oauth.extra_authorize_params)
        )
    session.add(
        ConnectionAuthorization(
            state_hash=state_hash(state),
            person_id=owner.person_id,
            integration=owner.integration,
            provider=oauth.provider,
            code_verifier_sealed=seal(oauth, verifier, info=VERIFIER_INFO),
            redirect_uri=oauth.redirect_uri,
            expires_at=now + AUTHORIZATION_TTL,
        )
    )
    await session.flush()
    return str(url)


async def complete_authorization(
    session: AsyncSession,
    owner: Owner,
    *,
    state: str,
    code: str,
    providers: Mapping[str, OAuthProviderConfig],
    now: datetime | None = None,
) -> ExternalConnection:
    """Exchange the code of the authorization `owner` started under `state`; the connection (new, or
    the owner's existing one for that provider, reconnected) is active with the new tokens."""
    now = now or datetime.now(UTC)
    pending = await repository.take_authorization(session, state_hash(state))
    if (
        pending is None
        or pending.expires_at <= now
        or pending.person_id != owner.person_id
        or pending.integration != owner.integration
        or pending.provider not in providers
    ):
        raise AuthorizationNotFound("This authorization is unknown, used, expired, or not yours.")
    oauth = providers[pending.provider]
    verifier = unseal(oauth, pending.code_verifier_sealed, info=VERIFIER_INFO)
    try:
        async with oauth_client(oauth) as client:
            token = await client.fetch_token(
                oauth.token_url, code=code, code_verifier=verifier, redirect_uri=pending.redirect_uri
            )
    except OAuthError as exc:
        raise AuthorizationRefused(f"The provider answered {exc.error}.") from exc
    except (httpx.HTTPError, ValueError) as exc:
        raise ProviderUnavailable("The provider's token endpoint did not answer.") from exc
    missing = missing_scopes(oauth.scopes, granted_scopes(token, oauth.scopes))
    if missing:
        # Nothing is kept: a grant that cannot do the job would only fail later, less clearly.
        raise ScopesNotGranted(f"Not granted: {' '.join(missing)}.", missing=missing)
    return await save_grant(session, owner, token, oauth=oauth, now=now)


async def save_grant(
    session: AsyncSession,
    owner: Owner,
    token: Mapping[str, Any],
    *,
    oauth: OAuthProviderConfig,
    now: datetime | None = None,
) -> ExternalConnection:
    """Store a token response as `owner`'s active connection to `oauth.provider` (new or reconnected).
    Also for grants obtained without the browser flow (an HRIS API key as `access_token`)."""
    now = now or datetime.now(UTC)
    connection = await repository.lock_by_provider(session, owner, oauth.provider)
    if connection is None:
        connection = ExternalConnection(
            person_id=owner.person_id, integration=owner.integration, provider=oauth.provider
        )
        session.add(connection)
    refresh = token.get("refresh_token")
    connection.scopes = granted_scopes(token, oauth.scopes)
    connection.status = ConnectionStatus.ACTIVE
    connection.access_token_sealed = seal(oauth, str(token["access_token"]))
    # A provider that sends no new refresh token on a reconnect keeps the earlier one valid.
    if refresh:
        connection.refresh_token_sealed = seal(oauth, str(refresh))
    connection.expires_at = expiry(token, now)
    connection.connected_at = connection.updated_at = now
    connection.broken_at = connection.broken_reason = None
    await session.flush()
    if connection.person_id is not None and connection.provider in CALENDAR_PROVIDERS:
        await emit(
            session,
            CalendarConnected(
                connection_id=connection.id,
                person_id=connection.person_id,
                provider=connection.provider,  # type: ignore[arg-type]
                connected_at=now,
            ),
        )
    log.info("gateway.connection.connected", connection_id=str(connection.id), provider=oauth.provider)
    return connection


# -- tokens ------------------------------------------------------------------------------------------


async def access_token(
    sessionmaker: async_sessionmaker[AsyncSession], connection_id: UUID, *, oauth: OAuthProviderConfig
) -> str:
    """A live access token of the connection, refreshed first when it is (nearly) expired.

    N concurrent callers make one refresh: the refresh holds the row lock (`SELECT ... FOR UPDATE`) and
    the others find the new token when they get it. The rotated refresh token is saved every time.
    `invalid_grant` marks the connection `needs_reauth` (with `CalendarConnectionBroken` for a
    calendar) and raises `NeedsReauth`; a provider that fails otherwise raises `ProviderUnavailable`
    and changes nothing."""
    async with sessionmaker() as session:
        connection = await session.get(ExternalConnection, connection_id)
        if connection is not None and _usable(connection, datetime.now(UTC)):
            return _unseal_access(oauth, connection)
    async with sessionmaker() as session, session.begin():
        connection = await repository.lock(session, connection_id)
        if connection is None or connection.status == ConnectionStatus.DISCONNECTED:
            raise NotConnected("The connection does not exist or was disconnected.")
        if connection.status == ConnectionStatus.NEEDS_REAUTH:
            raise NeedsReauth("The owner must connect again.")
        now = datetime.now(UTC)
        if _usable(connection, now):
            return _unseal_access(oauth, connection)
        if connection.refresh_token_sealed is None:
            await mark_broken(session, connection, reason="invalid_grant", now=now)
        else:
            refresh = unseal(oauth, connection.refresh_token_sealed)
            try:
                async with oauth_client(oauth, with_scope=False) as client:
                    token = await client.refresh_token(oauth.token_url, refresh_token=refresh)
            except OAuthError as exc:
                if exc.error != "invalid_grant":
                    raise ProviderUnavailable(f"The provider answered {exc.error}.") from exc
                await mark_broken(session, connection, reason="invalid_grant", now=now)
            except (httpx.HTTPError, ValueError) as exc:
                raise ProviderUnavailable("The provider's token endpoint did not answer.") from exc
            else:
                _store_refreshed(oauth, connection, token, now)
                log.info("gateway.connection.refreshed", connection_id=str(connection.id))
                return str(token["access_token"])
    # Raised after the commit, so the new state and its event are kept.
    raise NeedsReauth("The provider refused the grant; the owner must connect again.")


async def expire_refused(
    sessionmaker: async_sessionmaker[AsyncSession],
    connection_id: UUID,
    refused: str,
    *,
    oauth: OAuthProviderConfig,
) -> None:
    """The provider answered 401 to `refused` before its announced expiry (expired or revoked early):
    mark it expired under the row lock, so the next `access_token` refreshes. Unless a concurrent
    caller already replaced it: then the new token stands and nothing is refreshed twice."""
    async with sessionmaker() as session, session.begin():
        connection = await repository.lock(session, connection_id)
        if connection is None or connection.access_token_sealed is None:
            return
        if unseal(oauth, connection.access_token_sealed) == refused:
            connection.expires_at = datetime.now(UTC)


def _usable(connection: ExternalConnection, now: datetime) -> bool:
    return (
        connection.status == ConnectionStatus.ACTIVE
        and connection.access_token_sealed is not None
        and is_fresh(connection.expires_at, now)
    )


def _unseal_access(oauth: OAuthProviderConfig, connection: ExternalConnection) -> str:
    assert connection.access_token_sealed is not None
    return unseal(oauth, connection.access_token_sealed)


def _store_refreshed(
    oauth: OAuthProviderConfig, connection: ExternalConnection, token: Mapping[str, Any], now: datetime
) -> None:
    connection.access_token_sealed = seal(oauth, str(token["access_token"]))
    if token.get("refresh_token"):  # Microsoft rotates it on every refresh: the old one dies soon
        connection.refresh_token_sealed = seal(oauth, str(token["refresh_token"]))
    connection.expires_at = expiry(token, now)
    connection.refreshed_at = connection.updated_at = now
    if token.get("scope"):
        connection.scopes = granted_scopes(token, oauth.scopes)


async def mark_broken(
    session: AsyncSession, connection: ExternalConnection, *, reason: str, now: datetime
) -> None:
    """The grant is gone (`invalid_grant`, revoked at the provider): `needs_reauth`, tokens dropped."""
    connection.status = ConnectionStatus.NEEDS_REAUTH
    connection.access_token_sealed = connection.refresh_token_sealed = None
    connection.expires_at = None
    connection.broken_at = connection.updated_at = now
    connection.broken_reason = reason
    await session.flush()
    await _emit_broken(session, connection, reason=reason, now=now)
    log.warning("gateway.connection.needs_reauth", connection_id=str(connection.id), reason=reason)


async def _emit_broken(
    session: AsyncSession, connection: ExternalConnection, *, reason: str, now: datetime
) -> None:
    if connection.person_id is not None and connection.provider in CALENDAR_PROVIDERS:
        await emit(
            session,
            CalendarConnectionBroken(
                connection_id=connection.id,
                person_id=connection.person_id,
                provider=connection.provider,  # type: ignore[arg-type]
                reason=reason,  # type: ignore[arg-type]
                broken_at=now,
            ),
        )


# -- disconnect --------------------------------------------------------------------------------------


async def disconnect(
    session: AsyncSession,
    connection: ExternalConnection,
    *,
    oauth: OAuthProviderConfig,
    now: datetime | None = None,
    announce: bool = True,
) -> bool:
    """Revoke the grant at the provider where it can (RFC 7009; Google has an endpoint, Microsoft none),
    then forget the tokens. True when the provider confirmed the revocation. The tokens are dropped
    either way: a provider that is down cannot keep a grant alive here."""
    now = now or datetime.now(UTC)
    revoked = False
    if oauth.revoke_url and (connection.refresh_token_sealed or connection.access_token_sealed):
        sealed = connection.refresh_token_sealed or connection.access_token_sealed
        assert sealed is not None
        hint = "refresh_token" if connection.refresh_token_sealed else "access_token"
        try:
            async with oauth_client(oauth) as client:
                response = await client.revoke_token(
                    oauth.revoke_url, token=unseal(oauth, sealed), token_type_hint=hint
                )
            revoked = response.status_code == 200
        except (httpx.HTTPError, NeedsReauth):
            revoked = False
        if not revoked:
            log.warning("gateway.connection.revoke_failed", connection_id=str(connection.id))
    await forget(session, connection, now=now, announce=announce)
    log.info("gateway.connection.disconnected", connection_id=str(connection.id), revoked=revoked)
    return revoked


async def forget(
    session: AsyncSession,
    connection: ExternalConnection,
    *,
    now: datetime | None = None,
    announce: bool = True,
) -> None:
    """`disconnected`, tokens dropped (`CalendarConnectionBroken` once, for a calendar, unless the person
    is being erased: no event may name them afterwards)."""
    now = now or datetime.now(UTC)
    was_live = connection.status != ConnectionStatus.DISCONNECTED
    connection.status = ConnectionStatus.DISCONNECTED
    connection.access_token_sealed = connection.refresh_token_sealed = None
    connection.expires_at = None
    connection.broken_at = connection.updated_at = now
    connection.broken_reason = "disconnected"
    await session.flush()
    if was_live and announce:
        await _emit_broken(session, connection, reason="disconnected", now=now)
