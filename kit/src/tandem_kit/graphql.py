"""Typed helpers for strawberry subgraphs: field decorator, per-request DataLoaders on one session."""

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Sequence
from typing import Any, TypeVar, cast

import strawberry
from fastapi.exceptions import RequestValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader
from strawberry.fastapi import GraphQLRouter
from strawberry.http import GraphQLRequestData
from strawberry.types import Info

from tandem_kit.auth import Principal
from tandem_kit.fields import nul_at

F = TypeVar("F", bound=Callable[..., Any])
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

# U+0000 written as a GraphQL string escape (a literal NUL cannot appear in a query document).
NUL_ESCAPE = re.compile(r"\\u0000|\\u\{0+\}")
NUL_MESSAGE = "text must not contain the NUL character (\\u0000)"

BatchLoad = Callable[[AsyncSession, Principal, Sequence[K]], Awaitable[Sequence[V]]]
SESSION_LOCK = "_session_lock"


def field(*, description: str) -> Callable[[F], F]:
    """`strawberry.field(description=...)` as a typed decorator (strawberry's overloads return Any)."""
    return cast(Callable[[F], F], strawberry.field(description=description))


@contextlib.asynccontextmanager
async def exclusive_session(info: Info[Any, Any]) -> AsyncIterator[AsyncSession]:
    """The request's session, used by one resolver at a time: sibling fields (and the batches of
    different DataLoaders) resolve concurrently, but one AsyncSession runs one statement at a time."""
    lock: asyncio.Lock = info.context["loaders"].setdefault(SESSION_LOCK, asyncio.Lock())
    async with lock:
        yield info.context["session"]


def loader(info: Info[Any, Any], name: str, load: BatchLoad[K, V]) -> DataLoader[K, V]:
    """The request's DataLoader `name`, created on first use: one query per batch of keys."""
    loaders: dict[str, Any] = info.context["loaders"]
    if name not in loaders:
        principal: Principal = info.context["principal"]

        async def batch(keys: list[K]) -> Sequence[V]:
            async with exclusive_session(info) as session:
                return await load(session, principal, keys)

        loaders[name] = DataLoader(load_fn=batch)
    found: DataLoader[K, V] = loaders[name]
    return found


class TextSafeGraphQLRouter(GraphQLRouter[Any, Any]):
    """The subgraph endpoint: a NUL in the variables or in a string of the query is a 422 naming it,
    as for REST input (kit.fields.Text), instead of failing in PostgreSQL."""

    async def parse_http_body(self, request: Any) -> GraphQLRequestData | list[GraphQLRequestData]:
        parsed = await super().parse_http_body(request)
        for index, data in enumerate(parsed if isinstance(parsed, list) else [parsed]):
            prefix: tuple[str | int, ...] = ("body", index) if isinstance(parsed, list) else ("body",)
            refuse_nul_in_operation(data.query, data.variables, *prefix)
        return parsed


def refuse_nul_in_operation(query: str | None, variables: Any, *prefix: str | int) -> None:
    """422 (RequestValidationError) naming the variable, or the query, that holds a NUL."""
    where = nul_at(variables or {}, *prefix, "variables")
    if where is None and query and ("\x00" in query or NUL_ESCAPE.search(query)):
        where = (*prefix, "query")
    if where is not None:
        raise RequestValidationError([{"type": "string_nul", "loc": where, "msg": NUL_MESSAGE}])
