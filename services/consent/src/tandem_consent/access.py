"""Object-level access to people's data: machines and program managers see everyone, a person themself."""

from uuid import UUID

from sqlalchemy import ColumnElement, false, true
from sqlalchemy.orm import InstrumentedAttribute

from tandem_kit.auth import Principal


def own_person_id(principal: Principal) -> UUID | None:
    try:
        return UUID(principal.person_id) if principal.person_id else None
    except ValueError:
        return None


def sees_person(principal: Principal, person_id: UUID) -> bool:
    return principal.sees_everything or own_person_id(principal) == person_id


def readable_by(principal: Principal, column: InstrumentedAttribute[UUID]) -> ColumnElement[bool]:
    """The WHERE clause that keeps rows about other people out of a person's reads."""
    if principal.sees_everything:
        return true()
    own = own_person_id(principal)
    return column == own if own is not None else false()
