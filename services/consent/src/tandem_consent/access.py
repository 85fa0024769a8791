"""Object-level access to people's data: machines and program managers see everyone, a person themself."""

from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, false, true
from sqlalchemy.orm import InstrumentedAttribute

from tandem_kit.auth import Principal
from tandem_kit.errors import NotFound


class PersonNotFound(NotFound):
    code, title = "person-not-found", "Person not found"


def sees_person(principal: Principal, person_id: UUID) -> bool:
    return principal.sees_everything or principal.person_uuid == person_id


def require_visible(principal: Principal, person_id: UUID, *, pointer: str | None = None) -> None:
    """404, never 403, for a person the caller may not see: their existence is not given away."""
    if not sees_person(principal, person_id):
        extensions: dict[str, Any] = {"pointer": pointer} if pointer else {}
        raise PersonNotFound(f"No person {person_id} is visible to this caller.", **extensions)


def readable_by(principal: Principal, column: InstrumentedAttribute[UUID]) -> ColumnElement[bool]:
    """The WHERE clause that keeps rows about other people out of a person's reads."""
    if principal.sees_everything:
        return true()
    own = principal.person_uuid
    return column == own if own is not None else false()
