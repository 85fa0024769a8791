"""Domain events the matching service emits (past tense, frozen)."""

from typing import ClassVar

from tandem_kit.events import DomainEvent


class MatchingEvent(DomainEvent):
    source: ClassVar[str] = "matching"
