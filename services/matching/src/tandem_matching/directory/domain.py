"""The org chart as matching sees it (pure): manager chains from the directory's manager links.

The conflict-of-interest filter is a safety rule: it reads manager links without the person's
`matching` consent (legitimate interest: keeping a manager from coaching their own report), and
never ranks on them. A person the directory does not know keeps the typed-in chain as a fallback.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from uuid import UUID

CHAIN_DEPTH = 2
"""Manager and skip-level: what the conflict filter looks at (scoring.domain.CONFLICT_CHAIN_DEPTH)."""


@dataclass(frozen=True)
class Facts:
    person_id: UUID
    active: bool
    known: bool = True  # the job facts (level, department, manager) came from an event
    level_rank: int | None = None
    department: str | None = None
    manager_id: UUID | None = None
    hire_date: date | None = None


@dataclass(frozen=True)
class OrgView:
    """The directory facts of some people and of the managers above them (up to `CHAIN_DEPTH`)."""

    people: Mapping[UUID, Facts] = field(default_factory=dict)

    def facts(self, person_id: UUID) -> Facts | None:
        return self.people.get(person_id)

    def chain(self, person_id: UUID, *, depth: int = CHAIN_DEPTH) -> tuple[UUID, ...] | None:
        """Manager, skip-level, ... nearest first; None when the directory does not know the person.
        A cycle (which the gateway refuses, but a projection may briefly hold) stops the walk."""
        person = self.people.get(person_id)
        if person is None or not person.known:
            return None
        found: list[UUID] = []
        manager = person.manager_id
        while manager is not None and len(found) < depth and manager != person_id and manager not in found:
            found.append(manager)
            above = self.people.get(manager)
            manager = above.manager_id if above is not None else None
        return tuple(found)

    def manager_chain(self, person_id: UUID, typed_in: Sequence[str]) -> tuple[UUID, ...]:
        """The directory's chain, or the typed-in one when the directory knows nothing of the person."""
        chain = self.chain(person_id)
        return chain if chain is not None else tuple(UUID(m) for m in typed_in)

    def active(self, person_id: UUID) -> bool:
        """Unknown people count as active: the directory only takes away what it knows about."""
        person = self.people.get(person_id)
        return person is None or person.active


EMPTY = OrgView()
