"""The application factory every Tandem service uses: lifespan, errors, auth, health, metrics, GraphQL."""

import asyncio
import contextlib
import gc
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Annotated, Any

import strawberry
import structlog
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.fastapi import GraphQLRouter

from tandem_kit import deadletters
from tandem_kit.auth import Authenticator, Principal, TokenVerifier
from tandem_kit.db import Database, SessionDep
from tandem_kit.errors import (
    PROBLEM_JSON,
    ContentTooLarge,
    LengthRequired,
    UnexpectedErrors,
    install_problem_handlers,
)
from tandem_kit.events import Broker, EventConsumer, OutboxRelay, RetryPolicy, Subscription
from tandem_kit.graphql import GraphQLLimits, LimitedGraphQLRouter, check_body_length
from tandem_kit.idempotency import PURGE_EVERY_SECONDS, IdempotencyMiddleware, document_header, purge_expired
from tandem_kit.limits import BodyLimit
from tandem_kit.logs import configure_logging
from tandem_kit.openapi import PROBLEM_SCHEMA, install_openapi, problems
from tandem_kit.privacy import skip_erased
from tandem_kit.settings import KitSettings
from tandem_kit.tasks import cancel_and_wait, repeat

log = structlog.get_logger("tandem.app")

REQUEST_ID_HEADER = "x-request-id"


def operation_id(route: APIRoute) -> str:
    tag = route.tags[0] if route.tags else "default"
    return f"{tag}-{route.name}"


class RequestContextMiddleware:
    """Request id in and out, and Prometheus metrics labelled by route template (not raw path)."""

    def __init__(self, app: ASGIApp, *, registry: CollectorRegistry, service: str) -> None:
        self.app = app
        self.requests = Counter(
            "http_requests_total",
            "HTTP requests",
            ["service", "method", "route", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "HTTP request latency",
            ["service", "method", "route"],
            registry=registry,
        )
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        request_id = headers.get(REQUEST_ID_HEADER.encode(), b"").decode() or str(uuid.uuid4())
        structlog.contextvars.bind_contextvars(request_id=request_id)
        status = 500
        started = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (REQUEST_ID_HEADER.encode(), request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", "unmatched")
            self.requests.labels(self.service, scope["method"], template, str(status)).inc()
            self.latency.labels(self.service, scope["method"], template).observe(
                time.perf_counter() - started
            )
            structlog.contextvars.unbind_contextvars("request_id")


Hook = Callable[[FastAPI], Awaitable[None]]


def create_app(
    *,
    name: str,
    settings: KitSettings,
    routers: Sequence[APIRouter] = (),
    graphql_schema: strawberry.Schema | None = None,
    subscriptions: Sequence[Subscription] = (),
    description: str = "",
    on_startup: Sequence[Hook] = (),
    on_shutdown: Sequence[Hook] = (),
    token_verifier: TokenVerifier | None = None,
    run_relay: bool = True,
    middleware: Sequence[Callable[[ASGIApp], ASGIApp]] = (),
    bulk_routes: Sequence[str] = (),
    body_limits: Sequence[tuple[str, int]] = (),
) -> FastAPI:
    """Build a service app. Background work (relay, consumers) lives exactly as long as the app.

    Request bodies are limited to `settings.max_body_bytes`, `settings.max_bulk_body_bytes` on paths
    matching a `bulk_routes` pattern, or the limit of a matching `body_limits` pattern (checked first).
    """

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.log_level, service=name)
        database = Database(settings.database_url, pool_size=settings.database_pool_size)
        retention = settings.event_retention_days * 24 * 3600
        broker = Broker(settings.nats_url, name=f"tandem-{name}", retention_seconds=retention)
        broker.start()
        verifier = token_verifier or TokenVerifier(
            issuer=settings.token_issuer,
            audiences={name, settings.token_audience},
            jwks_url=settings.jwks_url,
            revocation_list_url=settings.revocation_list_url,
            refresh_seconds=settings.jwks_refresh_seconds,
            max_stale_seconds=settings.revocation_max_stale_seconds,
        )
        app.state.database = database
        if not hasattr(app.state, "sessionmaker"):
            app.state.sessionmaker = database.sessionmaker
        app.state.broker = broker
        app.state.token_verifier = verifier
        app.state.relay = OutboxRelay(
            database.engine, broker, poll_seconds=settings.outbox_poll_seconds, retention_seconds=retention
        )
        policy = RetryPolicy(
            park_after=settings.event_park_after_deliveries,
            first_delay=settings.event_retry_first_seconds,
            max_delay=settings.event_retry_max_seconds,
            replay_every=settings.dead_letter_replay_seconds,
        )
        # A late event (emitted before an erasure, consumed after it) must not bring the person back.
        guarded = [skip_erased(sub, key=settings.internal_secret) for sub in subscriptions]
        app.state.consumers = [
            EventConsumer(broker, app.state.sessionmaker, sub, policy=policy) for sub in guarded
        ]
        app.state.dead_letters = deadletters.Replayer(app.state.sessionmaker, app.state.consumers)
        tasks: list[asyncio.Task[None]] = []
        if run_relay:
            tasks.append(asyncio.create_task(app.state.relay.run(), name=f"{name}-outbox-relay"))
        tasks += [asyncio.create_task(c.run(), name=f"{name}-{c.sub.name}") for c in app.state.consumers]
        if subscriptions:
            replays = repeat(
                app.state.dead_letters.run_once,
                policy.replay_every,
                failure_event="events.dead_letter.round_failed",
            )
            tasks.append(asyncio.create_task(replays, name=f"{name}-dead-letter-replay"))
        if routers:
            purge = repeat(
                lambda: purge_expired(database.sessionmaker),
                PURGE_EVERY_SECONDS,
                failure_event="http.idempotency.purge_failed",
            )
            tasks.append(asyncio.create_task(purge, name=f"{name}-idempotency-purge"))
        for hook in on_startup:
            await hook(app)
        # What start-up built (modules, schemas, clients) lives as long as the process: out of the
        # collector's sight, a full collection no longer scans it and stops every thread for 100+ ms.
        gc.freeze()
        log.info("app.started", service=name)
        try:
            yield
        finally:
            # Background work first (a consumer may be using a client a hook closes), then the
            # service hooks, while the database and the broker are still there.
            app.state.relay.stop()
            for consumer in app.state.consumers:
                consumer.stop()
            await cancel_and_wait(*tasks)
            for hook in on_shutdown:
                with contextlib.suppress(Exception):
                    await hook(app)
            await broker.close()
            if token_verifier is None:
                await verifier.aclose()
            await database.dispose()

    app = FastAPI(
        title=f"Tandem {name}",
        description=description,
        version="0.1.0",
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
        openapi_url=f"/api/v1/{name}/openapi.json",
        docs_url=f"/api/v1/{name}/docs",
        redoc_url=None,
    )
    install_problem_handlers(app)
    install_openapi(app)
    registry = CollectorRegistry()
    prefix = f"/api/v1/{name}/"
    if routers:
        # Innermost: every POST of `routers` honours Idempotency-Key (the gateway mounts none here).
        app.add_middleware(
            IdempotencyMiddleware,
            prefix=prefix,
            ttl=timedelta(hours=settings.idempotency_key_hours),
            secret=settings.internal_secret.get_secret_value(),
        )
        document_header(app, prefix, hours=settings.idempotency_key_hours)
    # A part's own ASGI middleware runs inside the request context (request id, metrics).
    for extra in middleware:
        app.add_middleware(extra)
    # Outside the part's own middleware (the gateway's forwarding), inside the request context.
    limits = [*body_limits, *((pattern, settings.max_bulk_body_bytes) for pattern in bulk_routes)]
    app.add_middleware(BodyLimit, default=settings.max_body_bytes, routes=limits)
    app.add_middleware(UnexpectedErrors)
    app.add_middleware(RequestContextMiddleware, registry=registry, service=name)
    app.include_router(health_router(registry))
    for router in routers:
        app.include_router(router, prefix=f"/api/v1/{name}")
    if subscriptions:
        # Parked events: listed and replayed by operations, counted on /metrics.
        app.include_router(deadletters.router, prefix=f"/api/v1/{name}")
        registry.register(deadletters.DeadLetterCollector(app.state))
    if graphql_schema is not None:
        app.include_router(
            graphql_router(graphql_schema, scope=f"{name}:read", limits=settings.graphql_limits),
            prefix="/graphql",
        )
    return app


def health_router(registry: CollectorRegistry) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz", summary="Process is up")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get(
        "/readyz",
        summary="Database, broker and what the part serves are ready",
        responses={
            503: {
                "description": "The database, the broker or something the part serves is not ready (`checks` says which).",
                "content": {"application/json": {"schema": {"type": "object"}}},
            }
        },
    )
    async def readyz(request: Request) -> JSONResponse:
        """A part adds its own checks (`app.state.ready_checks`, name -> callable) and may name checks
        it keeps serving without (`app.state.degradable`): those show as down, status "degraded", 200."""
        state = request.app.state
        database: Database = state.database
        broker: Broker = state.broker
        checks = {"database": await database.ping(), "broker": broker.connected}
        checks |= {name: check() for name, check in getattr(state, "ready_checks", {}).items()}
        degradable: frozenset[str] = getattr(state, "degradable", frozenset())
        ok = all(up for name, up in checks.items() if name not in degradable)
        body = {
            "status": ("ok" if all(checks.values()) else "degraded") if ok else "unavailable",
            "checks": {k: "ok" if v else "down" for k, v in checks.items()},
        }
        return JSONResponse(body, status_code=200 if ok else 503)

    @router.get("/metrics", summary="Prometheus metrics", response_class=Response)
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router


def graphql_router(
    schema: strawberry.Schema, *, scope: str | None, limits: GraphQLLimits
) -> GraphQLRouter[Any, Any]:
    """The subgraph endpoint: a read scope to enter (or, with `scope=None`, any valid token, each resolver
    then requiring its own), bounded requests, the request's session as the unit of work."""

    async def context(
        request: Request,
        session: SessionDep,
        principal: Annotated[Principal, Depends(Authenticator(scopes={scope} if scope else ()))],
    ) -> dict[str, Any]:
        check_body_length(request, limits)
        return {"request": request, "session": session, "principal": principal, "loaders": {}}

    not_graphql = {
        "description": (
            "Not a GraphQL request: unsupported content type, unparsable body, JSON nested too deeply"
            " or no query."
        ),
        "content": {
            "text/plain": {"schema": {"type": "string"}},
            PROBLEM_JSON: {"schema": PROBLEM_SCHEMA},
        },
    }
    responses = {400: not_graphql, **problems(LengthRequired, ContentTooLarge)}
    return LimitedGraphQLRouter(
        schema, limits=limits, context_getter=context, graphql_ide=None, responses=responses
    )
