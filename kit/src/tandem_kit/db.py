"""Async SQLAlchemy plumbing: the engine, the per-request unit of work, the metadata naming convention."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, TypeVar

import asyncpg  # type: ignore[import-untyped]
import structlog
from fastapi import Depends, Request
from sqlalchemy import MetaData, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Where a middleware that opened the request's unit of work itself leaves its session (scope state).
UNIT_OF_WORK = "tandem.unit_of_work"

log = structlog.get_logger("tandem.db")


def new_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


# Errors that mean "the database cannot be reached or refuses work right now", not "this request is wrong".
_ASYNCPG_OUTAGES = (
    asyncpg.PostgresConnectionError,  # SQLSTATE 08: connection failure, connection does not exist
    asyncpg.exceptions.OperatorInterventionError,  # 57: admin shutdown, cannot connect now, canceled
    asyncpg.exceptions.InsufficientResourcesError,  # 53: too many connections, out of memory, disk full
)


def is_unavailable(exc: BaseException) -> bool:
    """True when `exc` is a database outage: refused or dropped connections, a server shutting down or
    refusing new connections, an exhausted pool. asyncpg raises socket errors raw at connect time and
    SQLAlchemy wraps the rest, so both the exception and what it wraps are looked at."""
    if isinstance(exc, BaseExceptionGroup):
        return any(is_unavailable(inner) for inner in exc.exceptions)
    if isinstance(exc, ConnectionError | TimeoutError | sa_exc.TimeoutError | sa_exc.DisconnectionError):
        return True
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated:
            return True
        cause: BaseException | None = exc.orig
        for _ in range(3):  # SQLAlchemy's adapted DBAPI error wraps asyncpg's own
            if cause is None:
                break
            if isinstance(cause, (*_ASYNCPG_OUTAGES, ConnectionError)):
                return True
            cause = cause.__cause__
        return False
    return isinstance(exc, _ASYNCPG_OUTAGES)


# SQLSTATEs the services act on (PostgreSQL appendix A).
UNIQUE_VIOLATION = "23505"
EXCLUSION_VIOLATION = "23P01"
DEADLOCK_DETECTED = "40P01"
DEADLOCK_ATTEMPTS = 3

T = TypeVar("T")


def sqlstate(exc: sa_exc.DBAPIError) -> str | None:
    """The SQLSTATE PostgreSQL gave for the statement SQLAlchemy wrapped in `exc`."""
    return getattr(exc.orig, "sqlstate", None)


async def write_in_savepoint(
    session: AsyncSession, write: Callable[[], Awaitable[T]], *, attempts: int = DEADLOCK_ATTEMPTS
) -> T:
    """Run `write` (it adds rows and flushes them) inside a SAVEPOINT, again when PostgreSQL picks it
    as a deadlock victim.

    Two transactions inserting conflicting rows under an exclusion constraint each put their row in
    the index before looking for conflicts, so each can find the other's and wait for it: the deadlock
    detector then aborts one of them. Rolled back to its savepoint, the loser writes again, now waits
    for the winner, and meets the constraint like any later writer (or succeeds if the winner rolled
    back). Any other error is raised as is, with the transaction still usable. `write` must add its
    objects again on every call: a rolled back savepoint expunges what it added."""
    for attempt in range(1, attempts + 1):
        try:
            async with session.begin_nested():
                return await write()
        except sa_exc.DBAPIError as exc:
            if sqlstate(exc) != DEADLOCK_DETECTED or attempt == attempts:
                raise
            log.info("db.deadlock.retried", attempt=attempt)
    raise AssertionError("unreachable: the last attempt returns or raises")


CONNECT_TIMEOUT_SECONDS = 5
CHECKOUT_TIMEOUT_SECONDS = 10
SIDE_POOL_SIZE = 2
# Where a Database's sessions find the sessionmaker of its side pool (`side_transaction`).
SIDE_TRANSACTIONS = "tandem.side_transactions"


class Database:
    """One engine per process for the service's own database."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        # A server that does not answer a new connection within seconds is down for us: the request
        # gets its 503 and an event its retry, instead of holding a worker for asyncpg's default
        # minute (connect) or the pool's half minute (checkout).
        self.engine: AsyncEngine = _engine(url, pool_size)
        # Side transactions (`side_transaction`) take their connection from a small pool of their own:
        # a request never holds two connections of one pool, so a burst of requests cannot all hold
        # their first connection and wait for a second. Connects lazily, on first use.
        self.side_engine: AsyncEngine = _engine(url, SIDE_POOL_SIZE)
        side: async_sessionmaker[AsyncSession] = async_sessionmaker(self.side_engine, expire_on_commit=False)
        self.sessionmaker: async_sessionmaker[AsyncSession] = async_sessionmaker(
            self.engine, expire_on_commit=False, info={SIDE_TRANSACTIONS: side}
        )

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    async def dispose(self) -> None:
        await self.engine.dispose()
        await self.side_engine.dispose()


def _engine(url: str, pool_size: int) -> AsyncEngine:
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_timeout=CHECKOUT_TIMEOUT_SECONDS,
        connect_args={"timeout": CONNECT_TIMEOUT_SECONDS},
    )


@asynccontextmanager
async def side_transaction(session: AsyncSession) -> AsyncIterator[AsyncSession]:
    """A short transaction of its own beside `session`'s, committed when the block ends, whatever
    becomes of `session`'s: for a check-and-record step that concurrent requests must see at once (its
    locks last milliseconds, not the request). From the Database's side pool; a session bound to a
    connection (a test's outer transaction) joins that connection instead."""
    side: async_sessionmaker[AsyncSession] | None = session.info.get(SIDE_TRANSACTIONS)
    own = side() if side is not None else AsyncSession(session.bind)
    async with own, own.begin():
        yield own


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request is the unit of work: commit when the handler returns, roll back when it raises."""
    shared: AsyncSession | None = request.scope.get("state", {}).get(UNIT_OF_WORK)
    if shared is not None:
        # An Idempotency-Key request: the middleware commits this work together with its stored answer.
        yield shared
        await shared.flush()
        return
    maker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with maker() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        await session.commit()


# scope="function": the commit happens before the response is sent, so a failed commit is never a 2xx.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
