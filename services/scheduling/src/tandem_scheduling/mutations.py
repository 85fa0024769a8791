"""The unit of work of one GraphQL mutation."""

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from tandem_kit.graphql import exclusive_session


@contextlib.asynccontextmanager
async def mutation_session(info: Info[Any, Any]) -> AsyncIterator[AsyncSession]:
    """The request's session inside a savepoint. A refused mutation is a GraphQL error in a 200 answer,
    so the request still commits: the savepoint takes back whatever the refused call wrote (a failed
    flush included), and the request's other fields commit as they would alone."""
    async with exclusive_session(info) as session, session.begin_nested():
        yield session
