"""Domain events the analytics service emits (past tense, frozen); payloads as in docs/contracts.md."""

from datetime import datetime
from typing import ClassVar
from uuid import UUID

from tandem_kit.events import DomainEvent


class AnalyticsEvent(DomainEvent):
    source: ClassVar[str] = "analytics"


# -- pilots (issue 16) --


class GateEvaluated(AnalyticsEvent):
    evaluation_id: UUID
    pilot_id: UUID
    program_id: UUID
    gate: str
    verdict: str
    evaluated_at: datetime
    evidence: dict[str, float | None]


class PilotDecisionRecorded(AnalyticsEvent):
    decision_id: UUID
    pilot_id: UUID
    program_id: UUID
    gate: str
    decision: str
    decided_by: str
    decided_at: datetime
