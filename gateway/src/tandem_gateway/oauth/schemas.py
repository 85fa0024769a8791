from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tandem_gateway.oauth.domain import SCOPES, parse_scopes
from tandem_kit.fields import Text


class TokenResponse(BaseModel):
    access_token: str = Field(description="RFC 9068 JWT access token.")
    issued_token_type: str | None = Field(
        default=None,
        description="Token exchange only (RFC 8693): `urn:ietf:params:oauth:token-type:access_token`.",
    )
    token_type: str = Field(default="Bearer", description="Always `Bearer`.")
    expires_in: int = Field(description="Seconds until the token expires.")
    scope: str = Field(description="Space-separated scopes the token carries.")


class OAuthError(BaseModel):
    """RFC 6749 section 5.2 error: the OAuth endpoints answer these, not problem+json."""

    error: str = Field(
        description="`invalid_request`, `invalid_client`, `invalid_grant`, `unauthorized_client`, "
        "`unsupported_grant_type`, `invalid_scope`, `invalid_target`, `unsupported_token_type` or "
        "`temporarily_unavailable`."
    )
    error_description: str | None = Field(default=None, description="What went wrong, for a human.")
    error_uri: str | None = Field(default=None, description="A page about the error.")


class Introspection(BaseModel):
    """RFC 7662 response: only `active` when the token is not active."""

    active: bool = Field(description="Whether the token is valid, unexpired and not revoked.")
    scope: str | None = Field(default=None, description="Space-separated scopes.")
    client_id: str | None = Field(default=None, description="Client the token was issued to.")
    sub: str | None = Field(default=None, description="Subject of the token.")
    aud: str | list[str] | None = Field(default=None, description="Audience of the token.")
    iss: str | None = Field(default=None, description="Issuer.")
    exp: int | None = Field(default=None, description="Expiry (seconds since the epoch).")
    iat: int | None = Field(default=None, description="Issue time (seconds since the epoch).")
    jti: str | None = Field(default=None, description="Token id.")
    token_type: str | None = Field(default=None, description="`Bearer` for active tokens.")


class RevokedList(BaseModel):
    revoked: list[str] = Field(description="Ids (`jti`) of revoked tokens that have not expired yet.")


def _scopes(value: list[str]) -> list[str]:
    return parse_scopes(value)


class Client(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID = Field(description="Internal id of the client.")
    client_id: str = Field(description="The OAuth `client_id`.")
    name: str = Field(description="Unique human-readable name.")
    scopes: list[str] = Field(description="Scopes the client may request.")
    enabled: bool = Field(description="Disabled clients get no tokens.")
    created_at: datetime = Field(description="When the client was created.")
    secret_rotated_at: datetime | None = Field(description="When the secret was last rotated.")
    disabled_at: datetime | None = Field(description="When the client was disabled.")


class ClientWithSecret(Client):
    client_secret: str = Field(description="The client secret: shown once, stored only hashed.")


class ClientCreate(BaseModel):
    name: Text = Field(min_length=1, max_length=200, description="Unique human-readable name.")
    scopes: list[Text] = Field(
        min_length=1, description=f"Scopes the client may request, among: {', '.join(SCOPES)}; or `all`."
    )

    @field_validator("scopes")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        return _scopes(value)


class SigningKeyInfo(BaseModel):
    kid: str = Field(description="Key id (`kid`).")
    alg: str = Field(description="Signature algorithm.")
    state: str = Field(description="`next` (published, not signing yet), `current`, `retired` or `expired`.")
    activates_at: datetime = Field(description="When the key starts signing.")
