"""Domain events the scheduling service emits (past tense, frozen); payloads as in docs/contracts.md."""

from datetime import datetime
from typing import ClassVar, Literal
from uuid import UUID

from tandem_kit.events import DomainEvent


class SchedulingEvent(DomainEvent):
    source: ClassVar[str] = "scheduling"


class EngagementCreated(SchedulingEvent):
    engagement_id: UUID
    match_id: UUID
    program_id: UUID
    participant_id: UUID
    provider_id: UUID
    kickoff_due_at: datetime


class SessionBooked(SchedulingEvent):
    session_id: UUID
    engagement_id: UUID
    match_id: UUID
    participant_id: UUID
    provider_id: UUID
    provider_person_id: UUID
    starts_at: datetime
    ends_at: datetime
    kind: Literal["kickoff", "regular"]


CancelCode = Literal["requested", "match_ended", "erased", "person_deactivated"]


class SessionCancelled(SchedulingEvent):
    """A booked session was cancelled. The reason travels as a code: the free text a caller gave stays
    in scheduling's own row, where erasure and retention can reach it."""

    session_id: UUID
    engagement_id: UUID
    reason_code: CancelCode


class SlaBreached(SchedulingEvent):
    engagement_id: UUID
    match_id: UUID
    sla: str
    due_at: datetime
    breached_at: datetime


class SessionConflictDetected(SchedulingEvent):
    """A party's calendar got a meeting (`starts_at`-`ends_at`, the busy interval) that overlaps a
    booked session; once per session, person and interval."""

    session_id: UUID
    engagement_id: UUID
    person_id: UUID
    starts_at: datetime
    ends_at: datetime
    detected_at: datetime


class WorkingAgreementSigned(SchedulingEvent):
    """Both parties have signed this version of the working agreement."""

    agreement_id: UUID
    engagement_id: UUID
    match_id: UUID
    participant_id: UUID
    provider_person_id: UUID
    version: int
    signed_at: datetime
