"""Events analytics emits (docs/contracts.md); each block belongs to the feature that emits it."""

from datetime import datetime
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from tandem_kit.events import DomainEvent


class AnalyticsEvent(DomainEvent):
    source: ClassVar[str] = "analytics"


# Telemetry ingest and provider outcomes (issue 16, helper "inputs").


class VendorSessionReported(AnalyticsEvent):
    """A vendor reported a Tandem session's outcome (written set-based by the telemetry repository)."""

    telemetry_id: UUID
    vendor_id: UUID
    session_id: UUID
    outcome: Literal["completed", "no_show"]
    occurred_at: datetime
    received_at: datetime


class ProviderOutcomesUpdated(AnalyticsEvent):
    """What vendor telemetry says about a provider; `rating_median` is null below k ratings."""

    provider_id: UUID
    program_id: UUID
    sessions_completed: int
    sessions_no_show: int
    completion_rate: float | None
    rating_median: float | None
    rating_count: int
    computed_at: datetime


# KPI snapshots (issue 16, helper "kpi").


class SnapshotKpi(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    value: float | None
    status: str


class KpiSnapshotTaken(AnalyticsEvent):
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
