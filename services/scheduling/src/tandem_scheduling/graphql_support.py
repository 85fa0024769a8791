"""GraphQL helpers: per-request DataLoaders sharing the request's session, and typed field decorators."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Sequence
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from tandem_kit.auth import Principal

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
F = TypeVar("F", bound=Callable[..., Any])

BatchLoad = Callable[[AsyncSession, Principal, Sequence[K]], Awaitable[Sequence[V]]]


@contextlib.asynccontextmanager
async def exclusive_session(info: Info[Any, Any]) -> AsyncIterator[AsyncSession]:
    """The request's session, used by one resolver at a time (sibling fields resolve concurrently)."""
    lock: asyncio.Lock = info.context["loaders"].setdefault("_session_lock", asyncio.Lock())
    async with lock:
        yield info.context["session"]


def loader(info: Info[Any, Any], name: str, load: BatchLoad[K, V]) -> DataLoader[K, V]:
    """The request's loader `name`, created on first use.

    Batches of different loaders are dispatched together, but one AsyncSession cannot run two
    statements at once: a per-request lock serialises them (still one query per batch, not per row).
    """
    loaders: dict[str, Any] = info.context["loaders"]
    if name not in loaders:
        principal: Principal = info.context["principal"]

        async def batch(keys: list[K]) -> Sequence[V]:
            async with exclusive_session(info) as session:
                return await load(session, principal, keys)

        loaders[name] = DataLoader(load_fn=batch)
    found: DataLoader[K, V] = loaders[name]
    return found
