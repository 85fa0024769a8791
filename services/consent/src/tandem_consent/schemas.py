"""Field types shared by the consent service's API schemas."""

from typing import Annotated, TypeVar

from pydantic import AfterValidator, Field

T = TypeVar("T")

Key = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,63}$", description="Stable snake-case key.")]


def _unique(items: list[T]) -> list[T]:
    if len(set(items)) != len(items):
        raise ValueError("items must be unique")
    return items


FieldKeys = Annotated[list[Key], AfterValidator(_unique), Field(max_length=200)]
