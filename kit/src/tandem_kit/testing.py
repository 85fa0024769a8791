"""pytest plugin: real PostgreSQL and NATS per test worker, signed test tokens, per-test rollback.

Loaded by the repository's root conftest. Nothing here is a fake of our own services: the database
and the broker are the real servers, and tokens are real RS256 JWTs verified by the real verifier.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import os
import time
import types
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

import annotated_types
import httpx
import pytest
from authlib.jose import JsonWebKey, jwt
from fastapi import APIRouter, FastAPI
from fastapi.dependencies.utils import get_flat_dependant
from fastapi.routing import APIRoute
from pydantic import AfterValidator, BaseModel
from pydantic.fields import FieldInfo
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from tandem_kit.app import create_app
from tandem_kit.auth import TokenVerifier
from tandem_kit.db import Database, SessionDep
from tandem_kit.embedded import EmbeddedNats, EmbeddedPostgres, free_port
from tandem_kit.fields import IntRange, refuse_nul
from tandem_kit.migrations import upgrade_head
from tandem_kit.settings import KitSettings

TEST_ISSUER = "https://tandem.test"
T = TypeVar("T")


class TestKeys:
    """An RS256 signing key and the JWKS that publishes it."""

    __test__ = False

    def __init__(self) -> None:
        self.kid = "test-" + uuid.uuid4().hex[:8]
        self.private = JsonWebKey.generate_key("RSA", 2048, is_private=True, options={"kid": self.kid})
        self.jwks: dict[str, Any] = {
            "keys": [{**self.private.as_dict(is_private=False), "kid": self.kid, "alg": "RS256"}]
        }

    def token(
        self,
        *scopes: str,
        sub: str = "test-client",
        aud: str | list[str] = "tandem",
        ttl: int = 300,
        issuer: str = TEST_ISSUER,
        **claims: Any,
    ) -> str:
        now = int(time.time())
        payload = {
            "iss": issuer,
            "sub": sub,
            "aud": aud,
            "client_id": claims.pop("client_id", sub),
            "scope": " ".join(scopes),
            "iat": now,
            "exp": now + ttl,
            "jti": uuid.uuid4().hex,
            **claims,
        }
        raw: bytes = jwt.encode({"alg": "RS256", "kid": self.kid, "typ": "at+jwt"}, payload, self.private)
        return raw.decode()

    def headers(self, *scopes: str, **claims: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(*scopes, **claims)}"}

    def verifier(self, service: str) -> TokenVerifier:
        return TokenVerifier(issuer=TEST_ISSUER, audiences={service, "tandem"}, jwks=self.jwks)


@dataclass
class Infra:
    postgres: EmbeddedPostgres
    nats: EmbeddedNats
    keys: TestKeys
    _migrated: dict[str, str]
    # Per service directory: a database built once by `alembic upgrade head` that fresh ones copy.
    _templates: dict[Path, str] = field(default_factory=dict)

    def database(self, name: str, service_dir: Path) -> str:
        """A database for `name` in this worker's PostgreSQL, built by `alembic upgrade head`, once."""
        if name not in self._migrated:
            self.postgres.ensure_database(name)
            url = self.postgres.url(name)
            upgrade_head(service_dir, url)
            self._migrated[name] = url
        return self._migrated[name]

    def fresh_database(self, name: str, service_dir: Path) -> str:
        """A new, empty, migrated database (for tests that must commit): a copy of one this worker
        built with `alembic upgrade head` for the service (the same schema, in milliseconds instead of
        a migration run per test)."""
        template = self._templates.get(service_dir)
        if template is None:
            template = f"{name}_template_{uuid.uuid4().hex[:8]}"
            self.postgres.ensure_database(template)
            upgrade_head(service_dir, self.postgres.url(template))
            self._templates[service_dir] = template
        unique = f"{name}_{uuid.uuid4().hex[:8]}"
        self.postgres.psql(f'CREATE DATABASE "{unique}" TEMPLATE "{template}"')
        return self.postgres.url(unique)


@pytest.fixture(scope="session")
def infra(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Infra]:
    """This worker's own PostgreSQL and NATS (started once, stopped at the end)."""
    base = tmp_path_factory.mktemp("infra")
    external_nats = os.environ.get("TANDEM_TEST_NATS_URL")
    postgres = EmbeddedPostgres(base / "pg", free_port(), fast=True)
    nats = EmbeddedNats(base / "nats", free_port())
    postgres.start()
    if not external_nats:
        nats.start()
    try:
        yield Infra(postgres=postgres, nats=nats, keys=TestKeys(), _migrated={})
    finally:
        nats.stop()
        postgres.stop()


@pytest.fixture(scope="session")
def keys(infra: Infra) -> TestKeys:
    return infra.keys


@contextlib.asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[FastAPI]:
    """Run the app's lifespan (database, broker, relay, consumers) around the block."""
    async with app.router.lifespan_context(app):
        yield app


@contextlib.asynccontextmanager
async def rollback_client(app: FastAPI, **headers: str) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client whose requests all run inside one outer transaction, rolled back at the end."""
    database: Database = app.state.database
    async with database.engine.connect() as conn:
        outer = await conn.begin()
        original = app.state.sessionmaker
        app.state.sessionmaker = async_sessionmaker(
            bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False, class_=AsyncSession
        )
        try:
            async with asgi_client(app, **headers) as client:
                yield client
        finally:
            app.state.sessionmaker = original
            await outer.rollback()


def asgi_client(app: FastAPI, **headers: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver", headers=headers
    )


_recording: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("recording", default=None)


@contextlib.contextmanager
def recorded_statements(app: FastAPI) -> Iterator[list[str]]:
    """The SQL the app runs for requests made inside the block, in order.

    Only work started from the block's context counts (an ASGI request made in the block and the
    resolver tasks it spawns); the outbox relay and event consumers, started at app start-up, run in
    their own contexts and are left out, so counts do not depend on background timing.
    """
    database: Database = app.state.database
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        target = _recording.get()
        if target is not None:
            target.append(statement)

    token = _recording.set(seen)
    event.listen(database.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", record)
        _recording.reset(token)


def sessionmaker_of(app: FastAPI) -> async_sessionmaker[AsyncSession]:
    maker: async_sessionmaker[AsyncSession] = app.state.sessionmaker
    return maker


class TcpProxy:
    """A TCP relay from a free local port to `target_port`, for outage tests without sleeps: `cut()`
    drops every open connection and refuses new ones (like a stopped server), `restore()` listens again."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()

    async def start(self) -> TcpProxy:
        if self._server is None:
            self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)
        return self

    restore = start

    async def cut(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._open):
            writer.transport.abort()
        self._open.clear()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()
            return
        self._open |= {writer, upstream_writer}

        async def pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            try:
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            except OSError:
                pass
            finally:
                sink.transport.abort()
                self._open.discard(sink)

        await asyncio.gather(pump(reader, upstream_writer), pump(upstream_reader, writer))


def probe_app(database_url: str, nats_url: str, *, name: str = "probe") -> FastAPI:
    """A minimal kit service for fault tests: `GET /api/v1/<name>/rows` reads its database,
    `GET /api/v1/<name>/boom` is a bug (500). No auth: it stands in for any service behind the gateway."""
    router = APIRouter(tags=["probe"])

    @router.get("/rows")
    async def read_rows(session: SessionDep) -> dict[str, int]:
        return {"one": (await session.execute(text("SELECT 1"))).scalar_one()}

    @router.get("/boom")
    async def explode() -> dict[str, int]:
        raise RuntimeError("a bug")

    settings = KitSettings(
        environment="test", database_url=database_url, nats_url=nats_url, revocation_list_url=None
    )
    return create_app(
        name=name,
        settings=settings,
        routers=[router],
        run_relay=False,
        token_verifier=TokenVerifier(issuer=TEST_ISSUER, audiences={name}, jwks={"keys": []}),
    )


def probe_app_from_env() -> FastAPI:
    """`uvicorn --factory tandem_kit.testing:probe_app_from_env`, for tests that read a process's logs."""
    return probe_app(os.environ["PROBE_DATABASE_URL"], os.environ["PROBE_NATS_URL"])


async def eventually(check: Callable[[], Any], *, timeout: float = 10.0, interval: float = 0.05) -> Any:
    """Poll an async or sync check until it returns a truthy value (for event-driven outcomes)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(interval)


@dataclass
class LoopProbe:
    longest: float = 0.0  # seconds


@contextlib.asynccontextmanager
async def loop_blocked(tick: float = 0.001) -> AsyncIterator[LoopProbe]:
    """`async with loop_blocked() as probe:` ... `probe.longest`: the longest time the event loop ran
    something else before a task asking to wake every `tick` got to run (how long the loop was blocked)."""
    probe = LoopProbe()

    async def watch() -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(tick)
            now = time.perf_counter()
            probe.longest = max(probe.longest, now - last - tick)
            last = now

    task = asyncio.create_task(watch())
    await asyncio.sleep(0)
    try:
        yield probe
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def least_loop_block(
    action: Callable[[], Awaitable[T]], *, below: float, attempts: int = 3
) -> tuple[float, T]:
    """(the least time `action` blocked the event loop over up to `attempts` runs, its last result).

    Stops at the first run blocking less than `below`. Work done on the loop blocks it on every run;
    a loaded machine descheduling the process (or a garbage collection) blocks it on one now and then."""
    blocks: list[float] = []
    while True:
        async with loop_blocked() as probe:
            result = await action()
        blocks.append(probe.longest)
        if probe.longest < below or len(blocks) == attempts:
            return min(blocks), result


def unguarded_inputs(app: FastAPI, *bodies: type[BaseModel]) -> list[str]:
    """Every text input without the NUL rule and every integer input without an upper bound.

    Walks each route's path, query and body parameters (headers cannot carry NUL through the HTTP
    server), and `bodies`: models a route parses itself from the raw body. Entries read
    "METHOD /path: where".
    """
    found: list[str] = []
    for route in app.routes:
        if not isinstance(route, APIRoute):
            continue
        flat = get_flat_dependant(route.dependant)
        for method in sorted(route.methods):
            for kind, params in (
                ("path", flat.path_params),
                ("query", flat.query_params),
                ("body", flat.body_params),
            ):
                for param in params:
                    where = f"{method} {route.path}: {kind} {param.alias}"
                    found += _unguarded(param.field_info.annotation, param.field_info.metadata, where)
    for model in bodies:
        found += _unguarded(model, [], f"body {model.__name__}")
    return sorted(set(found))


def _unguarded(annotation: Any, metadata: list[Any], where: str) -> list[str]:
    metadata = [m for item in metadata for m in (item.metadata if isinstance(item, FieldInfo) else [item])]
    origin = get_origin(annotation)
    if origin is Annotated:
        inner, *extra = get_args(annotation)
        return _unguarded(inner, [*metadata, *extra], where)
    if annotation is str:
        guarded = any(isinstance(m, AfterValidator) and m.func is refuse_nul for m in metadata)
        return [] if guarded else [f"{where}: text without the NUL rule (use kit.fields.Text)"]
    if annotation is int:
        bounded = any(isinstance(m, annotated_types.Le | annotated_types.Lt | IntRange) for m in metadata)
        return [] if bounded else [f"{where}: integer without an upper bound (use kit.fields.Int4)"]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [
            leak
            for name, field in annotation.model_fields.items()
            for leak in _unguarded(field.annotation, field.metadata, f"{where}.{name}")
        ]
    if origin is Union or origin is types.UnionType:
        # A field's constraints apply to the branches of its union, not to the items of a container.
        return [leak for arg in get_args(annotation) for leak in _unguarded(arg, metadata, where)]
    return [leak for arg in get_args(annotation) for leak in _unguarded(arg, [], f"{where}[]")]


def run_sql(url: str, *statements: str) -> list[Any]:
    """Run the statements in one transaction on a loop of their own (a migration test runs outside the
    test's loop, as Alembic does); the last statement's rows."""

    async def run() -> list[Any]:
        engine = create_async_engine(url)
        async with engine.begin() as conn:
            rows: list[Any] = []
            for statement in statements:
                result = await conn.execute(text(statement))
                rows = list(result.all()) if result.returns_rows else []
        await engine.dispose()
        return rows

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, run()).result()


def in_thread(fn: Callable[..., Any], *args: Any) -> None:
    """Call `fn` in a thread of its own: Alembic's env runs its own event loop, off the test's."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(fn, *args).result()
