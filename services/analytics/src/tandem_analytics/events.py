"""Events the analytics service emits (docs/contracts.md): past-tense, frozen, through the outbox."""

from datetime import datetime
from typing import ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from tandem_kit.events import DomainEvent


class SnapshotKpi(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    value: float | None
    status: str


class KpiSnapshotTaken(DomainEvent):
    source: ClassVar[str] = "analytics"

    snapshot_id: UUID
    program_id: UUID | None
    cohort: str | None
    taken_at: datetime
    kpis: list[SnapshotKpi]


# -- pilots (issue 16) --


class GateEvaluated(DomainEvent):
    source: ClassVar[str] = "analytics"

    evaluation_id: UUID
    pilot_id: UUID
    program_id: UUID
    gate: str
    verdict: str
    evaluated_at: datetime
    evidence: dict[str, float | None]


class PilotDecisionRecorded(DomainEvent):
    source: ClassVar[str] = "analytics"

    decision_id: UUID
    pilot_id: UUID
    program_id: UUID
    gate: str
    decision: str
    decided_by: str
    decided_at: datetime
