"""The ids analytics makes up when it de-identifies a row (erasure and retention alike).

An alias is a random UUID of version 8 (RFC 9562, "custom"), while every real id in Tandem is a
version 4 UUID. So an id can tell that it was already de-identified, and a retention run can pass
over rows an erasure or an earlier run already de-identified instead of renaming the same people
again (which would split one alias into two and change the distinct counts).
"""

from uuid import UUID, uuid4

ALIAS_VERSION = 8
_VERSION_BITS = 0xF << 76


def new_alias() -> UUID:
    """A fresh random id (122 random bits, like uuid4) marked as an alias."""
    return UUID(int=(uuid4().int & ~_VERSION_BITS) | (ALIAS_VERSION << 76))


def is_alias(value: UUID) -> bool:
    return value.version == ALIAS_VERSION
