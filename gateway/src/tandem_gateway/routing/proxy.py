"""Forwarding to the services over one pooled keep-alive httpx client, streaming both ways."""

from __future__ import annotations

from typing import Any

import httpx
import structlog
from fastapi import Request
from starlette.background import BackgroundTask
from starlette.responses import Response, StreamingResponse

from tandem_gateway.routing.domain import request_headers, response_headers
from tandem_gateway.settings import SERVICES, Settings
from tandem_kit.errors import ProblemError, ServiceUnavailable

log = structlog.get_logger("tandem.gateway.routing")

BUFFER_LIMIT = 256 * 1024  # bytes: larger answers, and answers of unknown length, are streamed


class GatewayTimeout(ProblemError):
    status, code, title = 504, "gateway-timeout", "Gateway timeout"


class Upstreams:
    """The services behind the gateway and the one connection pool that reaches them."""

    def __init__(self, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.urls = {service: settings.service_url(service) for service in SERVICES}
        timeout = httpx.Timeout(
            connect=settings.upstream_connect_timeout,
            read=settings.upstream_read_timeout,
            write=settings.upstream_read_timeout,
            pool=settings.upstream_connect_timeout,
        )
        self.http = httpx.AsyncClient(
            transport=transport,
            timeout=timeout,
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=100, keepalive_expiry=30.0),
            follow_redirects=False,
        )

    def url(self, service: str, path: str) -> str:
        return f"{self.urls[service]}{path}"

    async def aclose(self) -> None:
        await self.http.aclose()


def request_id() -> str:
    value = structlog.contextvars.get_contextvars().get("request_id")
    return str(value) if value else ""


def unavailable(service: str, exc: httpx.HTTPError) -> ProblemError:
    if isinstance(exc, httpx.TimeoutException) and not isinstance(
        exc, httpx.ConnectTimeout | httpx.PoolTimeout
    ):
        return GatewayTimeout(f"The {service} service did not answer in time.", service=service)
    return ServiceUnavailable(
        f"The {service} service is unreachable.", headers={"Retry-After": "5"}, service=service
    )


async def forward(upstreams: Upstreams, request: Request, service: str, path: str) -> Response:
    """Send the request to the service and stream its answer back; 503/504 problems if it can't."""
    headers = request_headers(
        request.headers.items(),
        request_id=request_id(),
        client_host=request.client.host if request.client else None,
        scheme=request.url.scheme,
    )
    has_body = (
        request.headers.get("content-length", "0") not in ("", "0") or "transfer-encoding" in request.headers
    )
    url = httpx.URL(upstreams.url(service, f"/api/v1/{service}/{path}"), query=request.url.query.encode())
    outgoing = upstreams.http.build_request(
        request.method, url, headers=headers, content=request.stream() if has_body else None
    )
    try:
        upstream = await upstreams.http.send(outgoing, stream=True)
    except httpx.HTTPError as exc:
        log.warning("gateway.routing.upstream_failed", service=service, error_type=type(exc).__name__)
        raise unavailable(service, exc) from exc
    length = upstream.headers.get("content-length", "")
    response: Response
    if length.isdigit() and int(length) <= BUFFER_LIMIT:
        # Small answers (most API calls) go back in one piece: a streamed response costs a task group
        # and a send per chunk, about a fifth of the gateway's CPU per forwarded call.
        try:
            body = await upstream.aread()
        except httpx.HTTPError as exc:
            raise unavailable(service, exc) from exc
        finally:
            await upstream.aclose()
        response = Response(body, status_code=upstream.status_code)
    else:
        response = StreamingResponse(
            upstream.aiter_raw(), status_code=upstream.status_code, background=BackgroundTask(upstream.aclose)
        )
    response.raw_headers = [
        (n.encode("latin-1"), v.encode("latin-1"))
        for n, v in response_headers(upstream.headers.multi_items())
    ]
    return response


async def fetch_json(upstreams: Upstreams, service: str, path: str, **kwargs: Any) -> Any:
    """A small non-streamed GET (OpenAPI documents)."""
    try:
        response = await upstreams.http.get(upstreams.url(service, path), **kwargs)
        response.raise_for_status()
        return response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise unavailable(
            service, exc if isinstance(exc, httpx.HTTPError) else httpx.HTTPError("bad json")
        ) from exc
