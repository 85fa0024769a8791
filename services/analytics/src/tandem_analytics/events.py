"""Domain events the analytics service emits (past tense, frozen)."""

from typing import ClassVar

from tandem_kit.events import DomainEvent


class AnalyticsEvent(DomainEvent):
    source: ClassVar[str] = "analytics"
