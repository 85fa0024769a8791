"""What the xAPI routes get from the app: settings and the outbound client (built once in app.py)."""

from typing import Annotated

from fastapi import Depends, Request

from tandem_gateway.settings import Settings
from tandem_gateway.xapi.lrs import Outbound


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _outbound(request: Request) -> Outbound:
    outbound: Outbound = request.app.state.xapi_outbound
    return outbound


SettingsDep = Annotated[Settings, Depends(_settings)]
OutboundDep = Annotated[Outbound, Depends(_outbound)]
