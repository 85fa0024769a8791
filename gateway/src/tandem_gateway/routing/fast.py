"""The forwarding hot path as plain ASGI: `/api/v1/<service>/...` skips FastAPI's routing and
dependency solving (about a fifth of the gateway's CPU per forwarded call). The FastAPI routes in
`endpoints.py` stay for the OpenAPI document and behave the same; this runs in front of them."""

import re
from types import SimpleNamespace

from fastapi.security import HTTPAuthorizationCredentials
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from tandem_gateway.routing.domain import forwarding_audiences, required_scopes
from tandem_gateway.routing.proxy import Upstreams, forward
from tandem_gateway.settings import SERVICES
from tandem_kit.auth import Authenticator, Principal, bearer_scheme
from tandem_kit.errors import ProblemError, response_for

PROXIED = re.compile(rf"/api/v1/({'|'.join(SERVICES)})/(.+)")
ROUTE = SimpleNamespace(path="/api/v1/{service}/{path:path}")  # the metrics label of the slow path


async def authorize(
    request: Request, credentials: HTTPAuthorizationCredentials | None, service: str, path: str
) -> Principal:
    """The route's own scopes and audience before forwarding (see docs/gateway.md); the service checks
    them again (the gateway is not the only lock)."""
    authenticator = Authenticator(
        scopes=required_scopes(service, request.method, path), audiences=forwarding_audiences(service)
    )
    return await authenticator(request, credentials)


class FastForward:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = PROXIED.fullmatch(scope["path"]) if scope["type"] == "http" else None
        if found is None or found.group(2) == "openapi.json":
            await self.app(scope, receive, send)
            return
        service, path = found.group(1), found.group(2)
        scope["route"] = ROUTE
        request = Request(scope, receive)
        response: Response
        try:
            await authorize(request, await bearer_scheme(request), service, path)
            upstreams: Upstreams = request.app.state.upstreams
            response = await forward(upstreams, request, service, path)
        except ProblemError as exc:
            response = response_for(exc, scope["path"])
        await response(scope, receive, send)
