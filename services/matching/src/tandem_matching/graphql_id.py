"""A GraphQL `ID` argument as a UUID: a malformed id finds nothing (null), as an unknown one does."""

from uuid import UUID

import strawberry


def parse_id(value: strawberry.ID) -> UUID | None:
    try:
        return UUID(str(value))
    except ValueError:
        return None
