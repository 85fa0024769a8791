"""Typed helpers for strawberry subgraphs."""

from collections.abc import Callable
from typing import Any, TypeVar, cast

import strawberry

F = TypeVar("F", bound=Callable[..., Any])


def field(*, description: str) -> Callable[[F], F]:
    """`strawberry.field(description=...)` as a typed decorator (strawberry's overloads return Any)."""
    return cast(Callable[[F], F], strawberry.field(description=description))
