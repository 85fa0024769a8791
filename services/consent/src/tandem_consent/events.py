"""Domain events the consent service emits (past tense, frozen)."""

from typing import ClassVar

from tandem_kit.events import DomainEvent


class ConsentEvent(DomainEvent):
    source: ClassVar[str] = "consent"
