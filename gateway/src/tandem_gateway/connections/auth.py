from typing import Annotated

from fastapi import Depends, Request

from tandem_gateway.connections.domain import OAuthProviderConfig
from tandem_kit.auth import Authenticator, Principal

CalendarsRead = Annotated[Principal, Depends(Authenticator(scopes={"calendars:read"}))]
CalendarsWrite = Annotated[Principal, Depends(Authenticator(scopes={"calendars:write"}))]


def _calendar_providers(request: Request) -> dict[str, OAuthProviderConfig]:
    providers: dict[str, OAuthProviderConfig] = request.app.state.calendar_providers
    return providers


CalendarProviders = Annotated[dict[str, OAuthProviderConfig], Depends(_calendar_providers)]
