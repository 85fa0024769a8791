"""Domain events the scheduling service emits (past tense, frozen)."""

from typing import ClassVar

from tandem_kit.events import DomainEvent


class SchedulingEvent(DomainEvent):
    source: ClassVar[str] = "scheduling"
