"""A connector's OAuth side: its provider configuration for the external connection that holds its
tokens, and those tokens as an API client's bearer source."""

from __future__ import annotations

from uuid import UUID

from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tandem_gateway.connections.domain import OAuthProviderConfig, Owner
from tandem_gateway.connections.service import access_token, expire_refused
from tandem_gateway.integrations.hris.domain import Vendor
from tandem_gateway.integrations.hris.vendor import endpoints
from tandem_gateway.models import HrisConnector
from tandem_gateway.settings import Settings
from tandem_kit.sealing import fernet_for

CLIENT_SECRET_INFO = b"tandem.gateway.hris.client-secret"


def seal_client_secret(settings: Settings, secret: str) -> str:
    fernet = fernet_for(settings.internal_secret.get_secret_value(), info=CLIENT_SECRET_INFO)
    return fernet.encrypt(secret.encode()).decode()


def _client_secret(settings: Settings, sealed: str) -> str:
    fernet = fernet_for(settings.internal_secret.get_secret_value(), info=CLIENT_SECRET_INFO)
    return fernet.decrypt(sealed.encode()).decode()


def owner_of(connector_id: UUID) -> Owner:
    """The organisation-level owner of a connector's grant."""
    return Owner(integration=f"hris:{connector_id}")


def redirect_uri(settings: Settings) -> str:
    """Where the HRIS sends the admin back: register exactly this URL with the API client."""
    return settings.hris.redirect_uri or f"{settings.issuer.rstrip('/')}/admin/hris/callback"


def oauth_config(settings: Settings, connector: HrisConnector) -> OAuthProviderConfig:
    vendor: Vendor = connector.vendor  # type: ignore[assignment]
    where = endpoints(
        vendor,
        tenant=connector.tenant,
        api_base_url=connector.api_base_url,
        auth_base_url=connector.auth_base_url,
    )
    return OAuthProviderConfig(
        provider=vendor,
        authorize_url=where.authorize_url,
        token_url=where.token_url,
        revoke_url=None,
        client_id=connector.client_id,
        client_secret=SecretStr(_client_secret(settings, connector.client_secret_sealed)),
        scopes=tuple(connector.scopes),
        redirect_uri=redirect_uri(settings),
        sealing_secret=settings.internal_secret,
        extra_authorize_params=where.authorize_params,
    )


class ConnectionTokens:
    """The bearer tokens of an external connection, for `OAuthApiClient`: `access_token` (refresh under
    the row lock, rotation saved, `NeedsReauth` on `invalid_grant`), and after a 401 one forced refresh."""

    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], connection_id: UUID, oauth: OAuthProviderConfig
    ) -> None:
        self.sessionmaker, self.connection_id, self.oauth = sessionmaker, connection_id, oauth
        self._refused: str | None = None
        self.refreshes_forced = 0

    async def token(self) -> str:
        if self._refused is not None:
            refused, self._refused = self._refused, None
            self.refreshes_forced += 1
            await expire_refused(self.sessionmaker, self.connection_id, refused, oauth=self.oauth)
        return await access_token(self.sessionmaker, self.connection_id, oauth=self.oauth)

    def invalidate(self, token: str) -> None:
        self._refused = token

    async def aclose(self) -> None:
        return None
