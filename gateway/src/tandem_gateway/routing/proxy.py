"""Forwarding to the services over pooled keep-alive connections, streaming both ways.

The forwarding path talks to httpcore (httpx's transport) directly: the request line, headers and
body go through as they came, without httpx's request and response models, which were the largest
part of the gateway's CPU per forwarded call. The httpx client stays for the gateway's own small
calls (subgraph SDL, OpenAPI documents, federated queries).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpcore
import httpx
import structlog
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from tandem_gateway.routing.domain import request_headers, response_headers
from tandem_gateway.settings import SERVICES, Settings
from tandem_kit.errors import ProblemError, ServiceUnavailable

log = structlog.get_logger("tandem.gateway.routing")

BUFFER_LIMIT = 256 * 1024  # bytes: larger answers and bodies, and those of unknown length, are streamed
# An idle upstream connection is dropped here before the service would close it (uvicorn runs with
# --timeout-keep-alive 75, see devstack and deploy/entrypoint.sh), so a closing one is rarely picked.
MAX_CONNECTIONS, MAX_IDLE, IDLE_SECONDS = 200, 100, 30.0  # per service
UPSTREAM_ERRORS = (
    httpcore.TimeoutException,
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.UnsupportedProtocol,
)


# A pooled connection the service closed shows up as one of these on the next request sent over it.
CLOSED_UNDER_US = (httpcore.RemoteProtocolError, httpcore.ReadError, httpcore.WriteError)
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


class Attempt:
    """httpcore's trace of one attempt: did it open a new connection, did the request go out whole."""

    __slots__ = ("connected", "sent")

    def __init__(self) -> None:
        self.connected = self.sent = False

    async def __call__(self, event: str, _info: dict[str, Any]) -> None:
        if event == "connection.connect_tcp.started":
            self.connected = True
        elif event == "http11.send_request_body.complete":
            self.sent = True

    def may_retry(self, exc: Exception, *, replayable: bool) -> bool:
        """Once, on a fresh connection, when a reused pooled connection turned out closed: before the
        request went out (any method with a body we still hold), or before any answer to a request
        that is safe to repeat (idempotent method or Idempotency-Key)."""
        if self.connected or not isinstance(exc, CLOSED_UNDER_US):
            return False
        return not self.sent or replayable


class GatewayTimeout(ProblemError):
    """The service accepted the request but did not answer within the gateway's read timeout."""

    status, code, title = 504, "gateway-timeout", "Gateway timeout"


class Origin:
    """Where one service listens, split once into what an HTTP/1.1 request line and Host need."""

    def __init__(self, url: str) -> None:
        parsed = httpx.URL(url)
        self.scheme = parsed.scheme.encode()
        self.host = parsed.host.encode()
        self.port = parsed.port
        self.prefix = parsed.raw_path.rstrip(b"/")
        self.netloc = parsed.netloc


class Upstreams:
    """The services behind the gateway and the connection pools that reach them."""

    def __init__(self, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.urls = {service: settings.service_url(service) for service in SERVICES}
        self.origins = {service: Origin(url) for service, url in self.urls.items()}
        self.timeouts = {
            "connect": settings.upstream_connect_timeout,
            "read": settings.upstream_read_timeout,
            "write": settings.upstream_read_timeout,
            "pool": settings.upstream_connect_timeout,
        }
        # One pool per service: httpcore's pool scans all its connections (and, for the keep-alive
        # limit, all of them again per connection) each time a request is queued or released, so one
        # shared pool cost time quadratic in the connections open to all services together.
        self.pools = {
            service: httpcore.AsyncConnectionPool(
                max_connections=MAX_CONNECTIONS,
                max_keepalive_connections=MAX_IDLE,
                keepalive_expiry=IDLE_SECONDS,
            )
            for service in SERVICES
        }
        self.http = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(**self.timeouts),
            limits=httpx.Limits(
                max_connections=MAX_CONNECTIONS,
                max_keepalive_connections=MAX_IDLE,
                keepalive_expiry=IDLE_SECONDS,
            ),
            follow_redirects=False,
        )

    def url(self, service: str, path: str) -> str:
        return f"{self.urls[service]}{path}"

    async def aclose(self) -> None:
        for pool in self.pools.values():
            await pool.aclose()
        await self.http.aclose()


def request_id() -> str:
    value = structlog.contextvars.get_contextvars().get("request_id")
    return str(value) if value else ""


def unavailable(service: str, exc: Exception) -> ProblemError:
    """504 when the service took too long to answer, 503 when it could not be reached at all."""
    timed_out = isinstance(exc, httpx.TimeoutException | httpcore.TimeoutException)
    before_sending = isinstance(
        exc, httpx.ConnectTimeout | httpx.PoolTimeout | httpcore.ConnectTimeout | httpcore.PoolTimeout
    )
    if timed_out and not before_sending:
        return GatewayTimeout(f"The {service} service did not answer in time.", service=service)
    return ServiceUnavailable(
        f"The {service} service is unreachable.", headers={"Retry-After": "5"}, service=service
    )


async def _body(request: Request) -> AsyncIterator[bytes]:
    async for chunk in request.stream():
        if chunk:
            yield chunk


async def forward(upstreams: Upstreams, request: Request, service: str, path: str) -> Response:
    """Send the request to the service and stream its answer back; 503/504 problems if it can't."""
    scope = request.scope
    origin = upstreams.origins[service]
    headers = request_headers(
        [(n.decode("latin-1"), v.decode("latin-1")) for n, v in scope["headers"]],
        request_id=request_id(),
        client_host=request.client.host if request.client else None,
        scheme=scope.get("scheme", "http"),
    )
    outgoing = [(b"host", origin.netloc), *((n.encode("latin-1"), v.encode("latin-1")) for n, v in headers)]
    length = request.headers.get("content-length") or ""
    content: bytes | AsyncIterator[bytes] = b""
    if length not in ("", "0"):
        # A small body is held, so a request can be sent again if its pooled connection was closed.
        content = await request.body() if length.isdigit() and int(length) <= BUFFER_LIMIT else _body(request)
    elif "transfer-encoding" in request.headers:
        # The caller's chunked framing is hop-by-hop; the service gets its own.
        outgoing.append((b"transfer-encoding", b"chunked"))
        content = _body(request)
    target = origin.prefix + (scope.get("raw_path") or f"/api/v1/{service}/{path}".encode())
    if scope.get("query_string"):
        target += b"?" + scope["query_string"]
    url = httpcore.URL(scheme=origin.scheme, host=origin.host, port=origin.port, target=target)
    safe = request.method in IDEMPOTENT or "idempotency-key" in request.headers
    for retry in (False, True):
        attempt = Attempt()
        try:
            upstream = await upstreams.pools[service].handle_async_request(
                httpcore.Request(
                    request.method,
                    url,
                    headers=outgoing,
                    content=content,
                    extensions={"timeout": upstreams.timeouts, "trace": attempt},
                )
            )
            break
        except UPSTREAM_ERRORS as exc:
            if not retry and isinstance(content, bytes) and attempt.may_retry(exc, replayable=safe):
                log.info("gateway.routing.retried_closed_connection", service=service)
                continue
            log.warning("gateway.routing.upstream_failed", service=service, error_type=type(exc).__name__)
            raise unavailable(service, exc) from exc
    received = [(n.decode("latin-1"), v.decode("latin-1")) for n, v in upstream.headers]
    size = next((v for n, v in received if n.lower() == "content-length"), "")
    response: Response
    if size.isdigit() and int(size) <= BUFFER_LIMIT:
        # Small answers (most API calls) go back in one piece: a streamed response costs a task group
        # and a send per chunk, about a fifth of the gateway's CPU per forwarded call.
        try:
            body = b"".join([chunk async for chunk in upstream.aiter_stream()])
        except UPSTREAM_ERRORS as exc:
            raise unavailable(service, exc) from exc
        finally:
            await upstream.aclose()
        response = Response(body, status_code=upstream.status)
    else:
        response = StreamingResponse(
            upstream.aiter_stream(), status_code=upstream.status, background=BackgroundTask(upstream.aclose)
        )
    response.raw_headers = [(n.encode("latin-1"), v.encode("latin-1")) for n, v in response_headers(received)]
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
