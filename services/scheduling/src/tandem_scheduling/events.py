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
    program_id: UUID
    layer: str
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


# -- group sessions (network layer) ---------------------------------------------------------------

SeatReleaseCode = Literal["requested", "erased", "person_deactivated", "session_cancelled"]


class GroupSeatBooked(SchedulingEvent):
    """A person got a seat of a group session (`from_waitlist`: promoted when a seat freed)."""

    group_session_id: UUID
    program_id: UUID
    person_id: UUID
    seat_id: UUID
    starts_at: datetime
    ends_at: datetime
    from_waitlist: bool
    booked_at: datetime


class GroupSeatReleased(SchedulingEvent):
    """A seat of a group session was given up, taken back or cancelled with its group session."""

    group_session_id: UUID
    program_id: UUID
    person_id: UUID
    seat_id: UUID
    reason_code: SeatReleaseCode
    released_at: datetime


# -- attendance ledger (issue 15) -----------------------------------------------------------------

AttendanceRole = Literal["participant", "provider", "program_manager", "client", "vendor"]
MissedOutcome = Literal["no_show_participant", "no_show_provider", "cancelled_late", "rescheduled"]


class SessionAttended(SchedulingEvent):
    """The attendance ledger recorded the session as held (`revision` 1 for the first mark, a
    correction sends the next; consumers keep the highest revision per session)."""

    session_id: UUID
    engagement_id: UUID
    match_id: UUID
    program_id: UUID
    participant_id: UUID
    provider_person_id: UUID
    kind: str
    starts_at: datetime
    attended_at: datetime
    revision: int
    recorded_by_role: AttendanceRole


class SessionMissed(SchedulingEvent):
    """The session ended without being held."""

    session_id: UUID
    engagement_id: UUID
    match_id: UUID
    program_id: UUID
    participant_id: UUID
    provider_person_id: UUID
    kind: str
    starts_at: datetime
    outcome: MissedOutcome
    recorded_at: datetime
    revision: int
    recorded_by_role: AttendanceRole


class EngagementAttendanceFlagged(SchedulingEvent):
    """The engagement's attendance crossed the floor, either way (`flagged` says which)."""

    engagement_id: UUID
    match_id: UUID
    program_id: UUID
    participant_id: UUID
    attended: int
    due: int
    rate: float
    floor: float
    flagged: bool
    changed_at: datetime


# -- SLAs per layer, cadence and escalations (issue 15) ------------------------------------------


class SlaMet(SchedulingEvent):
    """A promise kept in time (the denominator of `sla_adherence`)."""

    engagement_id: UUID
    match_id: UUID
    program_id: UUID
    layer: str
    sla: str
    due_at: datetime
    met_at: datetime


class EscalationOpened(SchedulingEvent):
    """A breach of an active engagement queued for program operations; `rebreach` when the same
    engagement and SLA breached again after a resolved escalation."""

    escalation_id: UUID
    engagement_id: UUID
    match_id: UUID
    program_id: UUID
    layer: str
    sla: str
    due_at: datetime
    opened_at: datetime
    rebreach: bool


class EscalationResolved(SchedulingEvent):
    """An escalation was resolved; the resolution note stays in scheduling."""

    escalation_id: UUID
    engagement_id: UUID
    program_id: UUID
    layer: str
    sla: str
    resolved_at: datetime
    resolved_by: str


class CheckpointDue(SchedulingEvent):
    """A cadence item entered its window (scheduled on the engagement's own clock)."""

    checkpoint_id: UUID
    engagement_id: UUID
    match_id: UUID
    program_id: UUID
    layer: str
    kind: Literal["coaching_review", "mentoring_milestone"]
    due_at: datetime
