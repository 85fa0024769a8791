"""Typed helpers for strawberry subgraphs: field decorator, per-request DataLoaders on one session."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Sequence
from typing import Any, TypeVar, cast

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from tandem_kit.auth import Principal

F = TypeVar("F", bound=Callable[..., Any])
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

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
