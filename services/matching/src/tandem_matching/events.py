"""Domain events the matching service emits (past tense, frozen); payloads as in docs/contracts.md."""

from datetime import date, datetime
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import BaseModel

from tandem_kit.events import DomainEvent


class MatchingEvent(DomainEvent):
    source: ClassVar[str] = "matching"


class WorkingHoursBlock(BaseModel):
    weekday: int
    start: str
    end: str


class ProviderRegistered(MatchingEvent):
    provider_id: UUID
    person_id: UUID
    program_id: UUID
    kind: Literal["coach", "mentor"]
    capacity: int


class ProposalCreated(MatchingEvent):
    proposal_id: UUID
    program_id: UUID
    participant_id: UUID
    candidate_count: int
    weight_set_version: int


class MatchApproved(MatchingEvent):
    match_id: UUID
    proposal_id: UUID | None
    program_id: UUID
    participant_id: UUID
    provider_id: UUID
    provider_person_id: UUID
    provider_kind: Literal["coach", "mentor"]
    track: str
    score: float
    approved_at: datetime
    approved_by: str
    participant_timezone: str
    participant_working_hours: list[WorkingHoursBlock]
    provider_timezone: str
    provider_working_hours: list[WorkingHoursBlock]


class MatchRejected(MatchingEvent):
    proposal_id: UUID
    program_id: UUID
    participant_id: UUID
    provider_id: UUID | None
    reason: str
    rejected_by: str


class MatchReassigned(MatchingEvent):
    old_match_id: UUID
    new_match_id: UUID
    program_id: UUID
    participant_id: UUID
    reason: str


class MatchEnded(MatchingEvent):
    """The match is no longer active, for whatever reason (a reassignment sends it before
    `MatchReassigned`)."""

    match_id: UUID
    program_id: UUID
    participant_id: UUID
    provider_id: UUID
    provider_kind: Literal["coach", "mentor"]
    reason: Literal["completed", "withdrawn", "terminated", "reassigned"]
    ended_at: datetime
    ended_by: str


class MatchFlaggedForReview(MatchingEvent):
    """An HR event (e.g. a participant's job change) asks a program manager to look at the match again."""

    match_id: UUID
    program_id: UUID
    participant_id: UUID
    reason: str
    flagged_at: datetime


class ProviderEligibilityChanged(MatchingEvent):
    """The provider's eligibility or its reasons changed: evidence came or went, the profile or the
    override changed, or a calibration review or certification lapsed with time."""

    provider_id: UUID
    person_id: UUID
    program_id: UUID
    kind: Literal["coach", "mentor"]
    eligible: bool
    reasons: list[str]
    override: bool
    changed_at: datetime


# -- program controls (issue 15) ------------------------------------------------------------------


class ProgramStatusChanged(MatchingEvent):
    """A program was paused, resumed or closed (nothing new starts in a paused or closed one)."""

    program_id: UUID
    status: Literal["active", "paused", "closed"]
    changed_at: datetime
    changed_by: str


class ProviderCapacityChanged(MatchingEvent):
    """A provider's caseload capacity changed: analytics' utilization denominator follows it."""

    provider_id: UUID
    person_id: UUID
    program_id: UUID
    kind: Literal["coach", "mentor"]
    capacity: int
    changed_at: datetime


# Dual track and sponsor actions (issue 15).


class CoachingSprintCompleted(MatchingEvent):
    """A `coach_then_mentor` participant's coaching match ended `completed`: the mentor proposal was
    opened and the handoff prepared."""

    match_id: UUID
    program_id: UUID
    participant_id: UUID
    completed_at: datetime
    handoff_id: UUID


class HandoffPrepared(MatchingEvent):
    """Sent when the handoff is prepared, and again when the mentor match is approved (`to_match_id`)."""

    handoff_id: UUID
    program_id: UUID
    participant_id: UUID
    from_match_id: UUID
    to_match_id: UUID | None
    shared_context: bool
    prepared_at: datetime


class SponsorActionLogged(MatchingEvent):
    """A mentor logged (or corrected: same `action_id`, later `logged_at`) a sponsor action; the
    free-text description stays in matching."""

    action_id: UUID
    match_id: UUID
    program_id: UUID
    participant_id: UUID
    mentor_person_id: UUID
    kind: Literal["introduction", "advocacy", "stretch_assignment", "resource_secured"]
    action_date: date
    outcome: Literal["pending", "succeeded", "no_result"]
    logged_at: datetime


class SponsorActionRetracted(MatchingEvent):
    action_id: UUID
    match_id: UUID
    program_id: UUID
    retracted_at: datetime
