"""Events the gateway's xAPI integration emits (`tandem.gateway.<Type>`); payloads as in docs/contracts.md."""

from datetime import datetime
from typing import Literal
from uuid import UUID

from tandem_gateway.events import GatewayEvent


class TrainingEvidenceRecorded(GatewayEvent):
    evidence_id: UUID
    person_id: UUID
    program_id: UUID
    item: str
    statement_id: UUID
    verb: Literal["completed", "passed", "satisfied", "waived", "failed"]
    counts: bool
    score_scaled: float | None
    achieved_at: datetime


class TrainingEvidenceRetracted(GatewayEvent):
    evidence_id: UUID
    person_id: UUID
    program_id: UUID
    item: str
    statement_id: UUID
    voided_by: UUID
    retracted_at: datetime
