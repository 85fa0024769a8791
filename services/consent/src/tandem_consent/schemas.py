"""Field types shared by the consent service's API schemas."""

from typing import Annotated, TypeVar

from pydantic import AfterValidator, Field

from tandem_kit.fields import Text, refuse_nul
from tandem_kit.pagination import Page

__all__ = ["Evidence", "FieldKeys", "Key", "Page"]

T = TypeVar("T")

Key = Annotated[
    str,
    Field(pattern=r"^[a-z][a-z0-9_]{1,63}$", description="Stable snake-case key."),
    AfterValidator(refuse_nul),
]


def _unique(items: list[T]) -> list[T]:
    if len(set(items)) != len(items):
        raise ValueError("items must be unique")
    return items


FieldKeys = Annotated[list[Key], AfterValidator(_unique), Field(max_length=200)]


Evidence = Annotated[
    dict[Annotated[Text, Field(max_length=64)], Annotated[Text, Field(max_length=1000)]],
    Field(max_length=20),
]
