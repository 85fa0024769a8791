"""Input field types for every schema and path or query parameter.

PostgreSQL cannot store a NUL character in text, and its integer columns are 4 or 8 bytes: a value
outside them fails in the database, as a 500, after the request was accepted. These types refuse such
input at validation, so the caller gets a 422 that names the field, and a new endpoint that uses them
inherits the rule.
"""

from typing import Annotated, Any

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

INT4_MIN, INT4_MAX = -(2**31), 2**31 - 1
INT8_MIN, INT8_MAX = -(2**63), 2**63 - 1
NO_NUL_PATTERN = "^[^\\u0000]*$"


def refuse_nul(value: str) -> str:
    if "\x00" in value:
        raise PydanticCustomError("string_nul", "text must not contain the NUL character (\\u0000)")
    return value


def _document_no_nul(schema: dict[str, Any]) -> None:
    # A field with its own pattern (which already excludes NUL) keeps it.
    schema.setdefault("pattern", NO_NUL_PATTERN)


Text = Annotated[str, AfterValidator(refuse_nul), Field(json_schema_extra=_document_no_nul)]
"""Any text input: refuses `\\u0000` (add length and pattern constraints as usual)."""

Int4 = Annotated[int, Field(ge=INT4_MIN, le=INT4_MAX)]
"""An integer stored in an `integer` column (narrow it further with `Field(ge=..., le=...)`)."""

Int8 = Annotated[int, Field(ge=INT8_MIN, le=INT8_MAX)]
"""An integer stored in a `bigint` column, or passed to PostgreSQL as one (OFFSET, LIMIT)."""


def has_nul(value: object) -> bool:
    """Whether a JSON-like document (stored as jsonb) holds a NUL in any key or string."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(has_nul(v) for v in value)
    return False
