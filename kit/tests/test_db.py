"""`is_unavailable`: an outage (the database cannot be reached or refuses work now) versus a request the
database refused for its content, through SQLAlchemy's wrapping of asyncpg's errors."""

import asyncpg
import pytest
from sqlalchemy import exc as sa_exc

from tandem_kit.db import is_unavailable


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
