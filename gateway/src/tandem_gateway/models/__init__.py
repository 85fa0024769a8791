"""ORM models of the gateway: OAuth clients, signing keys, revoked tokens, authentication failures,
external connections, calendar sync."""

from sqlalchemy.orm import DeclarativeBase

from tandem_kit.db import new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()


from tandem_gateway.models.calendars import BusyCache, CalendarWatch, SessionEvent  # noqa: E402
from tandem_gateway.models.connection import ConnectionAuthorization, ExternalConnection  # noqa: E402
from tandem_gateway.models.oauth import AuthFailure, OAuthClient, RevokedToken, SigningKey  # noqa: E402

__all__ = [
    "AuthFailure",
    "Base",
    "BusyCache",
    "CalendarWatch",
    "ConnectionAuthorization",
    "ExternalConnection",
    "OAuthClient",
    "RevokedToken",
    "SessionEvent",
    "SigningKey",
]
