"""Input field types for every schema and path or query parameter.

PostgreSQL cannot store a NUL character in text, and its integer columns are 4 or 8 bytes: a value
outside them fails in the database, as a 500, after the request was accepted. These types refuse such
input at validation, so the caller gets a 422 that names the field, and a new endpoint that uses them
inherits the rule.
"""

from dataclasses import dataclass
from typing import Annotated, Any, cast

from pydantic import AfterValidator, Field, GetCoreSchemaHandler
from pydantic_core import CoreSchema, PydanticCustomError

INT4_MIN, INT4_MAX = -(2**31), 2**31 - 1
INT8_MIN, INT8_MAX = -(2**63), 2**63 - 1
NO_NUL_PATTERN = "^[^\\u0000]*$"
NUL_MESSAGE = "text must not contain the NUL character (\\u0000)"


def refuse_nul(value: str) -> str:
    if "\x00" in value:
        raise PydanticCustomError("string_nul", NUL_MESSAGE)
    return value


def _document_no_nul(schema: dict[str, Any]) -> None:
    # A field with its own pattern (which already excludes NUL) keeps it.
    schema.setdefault("pattern", NO_NUL_PATTERN)


Text = Annotated[str, AfterValidator(refuse_nul), Field(json_schema_extra=_document_no_nul)]
"""Any text input: refuses `\\u0000` (add length and pattern constraints as usual)."""


@dataclass(frozen=True)
class IntRange:
    """The range of a PostgreSQL integer type, as bounds on pydantic's own integer schema.

    Not `Field(ge=, le=)`: a type's own ge/le would replace the narrower ones a field sets
    (`count: Int4 = Field(ge=0)`); these give way to them and only stop the field from being wider.
    """

    low: int
    high: int

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        schema = handler(source)
        if schema["type"] != "int":
            raise TypeError(f"IntRange bounds an int, not {schema['type']}")
        bounds = cast(dict[str, Any], schema)
        bounds["ge"] = max(bounds.get("ge", self.low), self.low)
        bounds["le"] = min(bounds.get("le", self.high), self.high)
        return schema


INT4 = IntRange(INT4_MIN, INT4_MAX)
INT8 = IntRange(INT8_MIN, INT8_MAX)

Int4 = Annotated[int, INT4]
"""An integer stored in an `integer` column (narrow it further with `Field(ge=..., le=...)`)."""

Int8 = Annotated[int, INT8]
"""An integer stored in a `bigint` column, or passed to PostgreSQL as one (OFFSET, LIMIT)."""


def nul_at(value: object, *where: str | int) -> tuple[str | int, ...] | None:
    """Where a JSON-like document (stored as jsonb, or GraphQL variables) holds a NUL, if anywhere."""
    if isinstance(value, str):
        return where if "\x00" in value else None
    if isinstance(value, dict):
        items: list[tuple[Any, Any]] = list(value.items())
    elif isinstance(value, list | tuple):
        items = list(enumerate(value))
    else:
        return None
    for key, item in items:
        if isinstance(key, str) and "\x00" in key:
            return (*where, key)
        found = nul_at(item, *where, key)
        if found is not None:
            return found
    return None


def has_nul(value: object) -> bool:
    return nul_at(value) is not None
