"""Field types shared by the consent service's API schemas."""

from typing import Annotated, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, Field

T = TypeVar("T")

Key = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,63}$", description="Stable snake-case key.")]


def _unique(items: list[T]) -> list[T]:
    if len(set(items)) != len(items):
        raise ValueError("items must be unique")
    return items


FieldKeys = Annotated[list[Key], AfterValidator(_unique), Field(max_length=200)]


class Page(BaseModel, Generic[T]):
    """One page of a longer list."""

    items: list[T] = Field(description="The items on this page.")
    total: int = Field(description="How many items there are in all.")
    limit: int = Field(description="Page size asked for.")
    offset: int = Field(description="How many items come before this page.")


Evidence = Annotated[
    dict[Annotated[str, Field(max_length=64)], Annotated[str, Field(max_length=1000)]],
    Field(max_length=20),
]
