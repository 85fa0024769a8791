"""The OAuth app registrations of the calendar providers (`GATEWAY_CALENDAR_OAUTH__GOOGLE__CLIENT_ID`,
`..._CLIENT_SECRET`, `..._REDIRECT_URI`, likewise `__MICROSOFT__`). A provider without a client id is
not offered; in development devstack points both at the fakes (docs/calendars.md, Connections)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from tandem_gateway.connections.domain import OAuthProviderConfig

GOOGLE_SCOPES = (
    # freeBusy.query only: busy times, never titles or attendees.
    "https://www.googleapis.com/auth/calendar.freebusy",
    # Events (and watch channels) on calendars the person owns: write the sessions, hear of changes.
    "https://www.googleapis.com/auth/calendar.events.owned",
)
# Graph has no write-only or free/busy-only delegated permission: Calendars.ReadWrite is the least that
# creates events (and it covers getSchedule and event subscriptions); User.Read reads the mailbox
# address getSchedule is asked about; offline_access gives the refresh token.
MICROSOFT_SCOPES = ("offline_access", "User.Read", "Calendars.ReadWrite")


class OAuthAppSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_id: str = Field(default="", description="The app's client id; empty: provider not offered.")
    client_secret: SecretStr = Field(default=SecretStr(""), description="The app's client secret.")
    redirect_uri: str = Field(
        default="", description="Where the provider sends the browser back (registered with the app)."
    )
    authorize_url: str
    token_url: str
    revoke_url: str | None
    scopes: tuple[str, ...]
    extra_authorize_params: dict[str, str] = Field(default_factory=dict)

    @property
    def configured(self) -> bool:
        return bool(self.client_id)

    @model_validator(mode="after")
    def _complete_when_configured(self) -> OAuthAppSettings:
        if self.client_id and not (self.client_secret.get_secret_value() and self.redirect_uri):
            raise ValueError("a provider with a client_id needs client_secret and redirect_uri")
        return self


class GoogleOAuthSettings(OAuthAppSettings):
    authorize_url: str = "https://accounts.google.com/o/oauth2/v2/auth"
    token_url: str = "https://oauth2.googleapis.com/token"
    revoke_url: str | None = "https://oauth2.googleapis.com/revoke"
    scopes: tuple[str, ...] = GOOGLE_SCOPES
    # offline: a refresh token; consent: asked again on reconnect, so a new refresh token comes back.
    extra_authorize_params: dict[str, str] = Field(
        default_factory=lambda: {
            "access_type": "offline",
            "prompt": "consent",
            "include_granted_scopes": "false",
        }
    )


class MicrosoftOAuthSettings(OAuthAppSettings):
    authorize_url: str = "https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize"
    token_url: str = "https://login.microsoftonline.com/organizations/oauth2/v2.0/token"
    revoke_url: str | None = None  # Microsoft has no token revocation endpoint for an app
    scopes: tuple[str, ...] = MICROSOFT_SCOPES
    extra_authorize_params: dict[str, str] = Field(default_factory=lambda: {"prompt": "select_account"})


class CalendarOAuthSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    google: GoogleOAuthSettings = Field(default_factory=GoogleOAuthSettings)
    microsoft: MicrosoftOAuthSettings = Field(default_factory=MicrosoftOAuthSettings)

    def configs(self, sealing_secret: SecretStr) -> dict[str, OAuthProviderConfig]:
        """The providers people can connect, by name."""
        apps: dict[str, OAuthAppSettings] = {"google": self.google, "microsoft": self.microsoft}
        return {
            name: OAuthProviderConfig(
                provider=name,
                authorize_url=app.authorize_url,
                token_url=app.token_url,
                revoke_url=app.revoke_url,
                client_id=app.client_id,
                client_secret=app.client_secret,
                scopes=app.scopes,
                redirect_uri=app.redirect_uri,
                sealing_secret=sealing_secret,
                extra_authorize_params=dict(app.extra_authorize_params),
            )
            for name, app in apps.items()
            if app.configured
        }
