"""REST routing `/api/v1/<service>/...`, the services' OpenAPI documents and the combined docs page."""

import json
from typing import Any

from fastapi import APIRouter, Request, Response, Security
from fastapi.responses import HTMLResponse
from fastapi.security import HTTPAuthorizationCredentials

from tandem_gateway.routing.fast import authorize
from tandem_gateway.routing.proxy import GatewayTimeout, Upstreams, fetch_json, forward
from tandem_gateway.settings import SERVICES
from tandem_kit.auth import bearer_scheme
from tandem_kit.errors import NotFound
from tandem_kit.fields import Text
from tandem_kit.openapi import problems

router = APIRouter(tags=["routing"])
docs_router = APIRouter(tags=["docs"])

PROXY_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]


class UnknownService(NotFound):
    code, title = "unknown-service", "Unknown service"


def _upstreams(request: Request) -> Upstreams:
    upstreams: Upstreams = request.app.state.upstreams
    return upstreams


def _service(service: str) -> str:
    if service not in SERVICES:
        raise UnknownService(f"No service named {service!r}; use one of: {', '.join(SERVICES)}.")
    return service


@docs_router.get(
    "/api/v1/{service}/openapi.json",
    summary="A service's OpenAPI document",
    responses=problems(UnknownService, GatewayTimeout),
)
async def get_service_openapi(service: Text, request: Request) -> dict[str, Any]:
    """The service's OpenAPI document, fetched from the service (no token needed, like every docs page)."""
    document: dict[str, Any] = await fetch_json(
        _upstreams(request), _service(service), f"/api/v1/{service}/openapi.json"
    )
    return document


async def forward_to_service(
    service: Text,
    path: Text,
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Security(bearer_scheme),
) -> Response:
    """Forward to the owning service after checking the token and the coarse scope (see docs/gateway.md)."""
    _service(service)
    await authorize(request, credentials, service, path)
    return await forward(_upstreams(request), request, service, path)


FORWARDED = {
    "description": "Whatever the service answers: see its own document at `/api/v1/{service}/openapi.json`."
}

# One route per method, so every operation has its own id in the OpenAPI document.
for _method in PROXY_METHODS:
    router.add_api_route(
        "/api/v1/{service}/{path:path}",
        forward_to_service,
        methods=[_method],
        name=f"forward_{_method.lower()}",
        summary=f"Forward {_method} to a service",
        responses={**problems(UnknownService, GatewayTimeout), "default": FORWARDED},
    )


@docs_router.get("/docs", response_class=HTMLResponse, summary="Combined API docs")
async def get_docs() -> HTMLResponse:
    """One Swagger UI page with the gateway's and every service's OpenAPI document."""
    urls = [{"name": name, "url": f"/api/v1/{name}/openapi.json"} for name in ("gateway", *SERVICES)]
    return HTMLResponse(DOCS_PAGE.replace("__URLS__", json.dumps(urls)))


DOCS_PAGE = """<!doctype html>
<html>
<head>
<meta charset="utf-8">
<title>Tandem API</title>
<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js"></script>
<script src="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-standalone-preset.js"></script>
<script>
window.ui = SwaggerUIBundle({
  urls: __URLS__,
  dom_id: "#swagger-ui",
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: "StandaloneLayout",
  persistAuthorization: true
});
</script>
</body>
</html>
"""
