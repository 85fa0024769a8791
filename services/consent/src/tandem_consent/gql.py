"""Typed helpers for the consent subgraph's strawberry types."""

from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any, TypeVar
from uuid import UUID

from strawberry.dataloader import DataLoader
from strawberry.types import Info

from tandem_kit.graphql import exclusive_session

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
F = TypeVar("F", bound=Callable[..., Any])


def loader(
    info: Info[Any, Any], name: str, load: Callable[[Sequence[K]], Awaitable[Sequence[V]]]
) -> DataLoader[K, V]:
    """The request's DataLoader called `name`, created on first use: one query per batch of keys."""
    loaders: dict[str, Any] = info.context["loaders"]
    if name not in loaders:

        async def batch(keys: list[K]) -> Sequence[V]:
            # One AsyncSession runs one statement at a time; other loaders may dispatch alongside.
            async with exclusive_session(info):
                return await load(keys)

        loaders[name] = DataLoader(load_fn=batch)
    found: DataLoader[K, V] = loaders[name]
    return found


def parse_uuid(value: str) -> UUID | None:
    """An entity id from a representation; None when it is not a UUID (the entity resolves to null)."""
    try:
        return UUID(value)
    except ValueError:
        return None
