"""`is_unavailable`: an outage (the database cannot be reached or refuses work now) versus a request the
database refused for its content, through SQLAlchemy's wrapping of asyncpg's errors."""

import asyncio
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import text

from tandem_kit.db import Database, is_unavailable, side_transaction
from tandem_kit.testing import Infra


def wrapped(cause: BaseException) -> sa_exc.DBAPIError:
    """What SQLAlchemy raises: its DBAPIError around the adapted driver error, which wraps asyncpg's."""
    adapted = Exception("adapted")
    adapted.__cause__ = cause
    return sa_exc.DBAPIError("INSERT ...", {}, adapted)


@pytest.mark.parametrize(
    ("cause", "outage"),
    [
        (asyncpg.exceptions.UniqueViolationError("duplicate key"), False),
        (asyncpg.exceptions.ExclusionViolationError("conflicting key"), False),
        (asyncpg.exceptions.AdminShutdownError("terminating connection"), True),
        (asyncpg.exceptions.TooManyConnectionsError("too many clients"), True),
        (asyncpg.exceptions.ConnectionDoesNotExistError("closed"), True),
        (ConnectionResetError("reset by peer"), True),
    ],
    ids=["unique", "exclusion", "shutdown", "too-many", "closed", "reset"],
)
def test_wrapped_driver_errors(cause: BaseException, outage: bool) -> None:
    assert is_unavailable(wrapped(cause)) is outage


def test_raw_errors() -> None:
    assert is_unavailable(ConnectionRefusedError()) is True
    assert is_unavailable(asyncpg.exceptions.CannotConnectNowError("starting up")) is True
    assert is_unavailable(ValueError("a bug")) is False
    assert is_unavailable(ExceptionGroup("both", [ValueError(), ConnectionResetError()])) is True


CONSENT_SERVICE = Path(__file__).resolve().parents[2] / "services" / "consent"


async def test_side_transactions_never_wait_for_the_main_pool(infra: Infra) -> None:
    """Every main connection held by a request that opens a side transaction: the side transactions
    come from their own pool, so none waits for a main connection that will never be given back."""
    db = Database(infra.fresh_database("kitside", CONSENT_SERVICE), pool_size=1)  # 1 + 1 overflow
    try:
        async with db.sessionmaker() as first, db.sessionmaker() as second:
            for session in (first, second):  # both main connections checked out, in transactions
                assert await session.scalar(text("SELECT 1")) == 1
            async with asyncio.timeout(5):  # the main pool would wait its 10 s checkout timeout
                for session in (first, second):
                    async with side_transaction(session) as side:
                        assert await side.scalar(text("SELECT pg_backend_pid()")) != await session.scalar(
                            text("SELECT pg_backend_pid()")
                        )
    finally:
        await db.dispose()


async def test_a_side_transaction_commits_whatever_the_request_does(infra: Infra) -> None:
    db = Database(infra.fresh_database("kitside", CONSENT_SERVICE), pool_size=1)
    try:
        async with db.sessionmaker() as session:
            await session.execute(text("CREATE TABLE IF NOT EXISTS side_marks (n int)"))
            await session.commit()
            async with side_transaction(session) as side:
                await side.execute(text("INSERT INTO side_marks VALUES (1)"))
            await session.rollback()
        async with db.sessionmaker() as session:
            assert await session.scalar(text("SELECT count(*) FROM side_marks")) == 1
    finally:
        await db.dispose()
