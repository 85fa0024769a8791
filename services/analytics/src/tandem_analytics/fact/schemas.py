"""The data of the domain events analytics consumes (docs/contracts.md). Unknown fields are ignored."""

from datetime import date
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict


class EventData(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class ProviderRegistered(EventData):
    provider_id: UUID
    person_id: UUID
    program_id: UUID
    kind: Literal["coach", "mentor"]
    capacity: int


class MatchApproved(EventData):
    match_id: UUID
    program_id: UUID
    participant_id: UUID
    provider_id: UUID
    provider_kind: Literal["coach", "mentor"]
    track: str
    approved_at: AwareDatetime


class MatchEnded(EventData):
    # `ended_by` (who closed the match) is deliberately not read: no KPI needs it.
    match_id: UUID
    program_id: UUID
    participant_id: UUID
    provider_id: UUID
    provider_kind: Literal["coach", "mentor"]
    reason: Literal["completed", "withdrawn", "terminated", "reassigned"]
    ended_at: AwareDatetime


class EngagementCreated(EventData):
    engagement_id: UUID
    match_id: UUID
    program_id: UUID
    participant_id: UUID
    provider_id: UUID
    kickoff_due_at: AwareDatetime


class SessionBooked(EventData):
    session_id: UUID
    engagement_id: UUID
    match_id: UUID
    participant_id: UUID
    provider_id: UUID
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    kind: str


class SessionCancelled(EventData):
    # The free-text `reason` is deliberately not read: analytics keeps structured facts only.
    session_id: UUID
    engagement_id: UUID


class SlaBreached(EventData):
    engagement_id: UUID
    match_id: UUID
    # Added by issue 15; older events lack them.
    program_id: UUID | None = None
    layer: str | None = None
    sla: str
    due_at: AwareDatetime
    breached_at: AwareDatetime


class Job(EventData):
    """The job fields of the gateway's `PersonJobChanged` (`old` and `new`)."""

    level: str | None = None
    level_rank: int | None = None
    department: str | None = None
    manager_id: UUID | None = None


class PersonProvisioned(Job):
    # Title, location, time zone and cost center are deliberately not read: no KPI or comparison needs them.
    person_id: UUID
    active: bool
    hire_date: date | None = None
    occurred_at: AwareDatetime | None = None


class PersonJobChanged(EventData):
    person_id: UUID
    old: Job
    new: Job
    promotion: bool
    effective_at: AwareDatetime


class PersonDeactivated(EventData):
    person_id: UUID
    deactivated_at: AwareDatetime


class PersonReactivated(EventData):
    person_id: UUID
    reactivated_at: AwareDatetime


class ConsentChanged(EventData):
    """Consent's `ConsentGranted` and `ConsentWithdrawn`: only the `analytics` purpose matters here."""

    person_id: UUID
    purpose: str
    granted_at: AwareDatetime | None = None
    withdrawn_at: AwareDatetime | None = None


# Program operations (issue 15): attendance, SLAs per layer, escalations, sponsor actions, programs.


class SessionAttended(EventData):
    session_id: UUID
    engagement_id: UUID
    match_id: UUID
    program_id: UUID
    participant_id: UUID
    provider_person_id: UUID
    kind: str
    starts_at: AwareDatetime
    attended_at: AwareDatetime
    revision: int
    recorded_by_role: str


class SessionMissed(EventData):
    session_id: UUID
    engagement_id: UUID
    match_id: UUID
    program_id: UUID
    participant_id: UUID
    provider_person_id: UUID
    kind: str
    starts_at: AwareDatetime
    outcome: Literal["no_show_participant", "no_show_provider", "cancelled_late", "rescheduled"]
    recorded_at: AwareDatetime
    revision: int
    recorded_by_role: str


class SlaMet(EventData):
    engagement_id: UUID
    match_id: UUID
    program_id: UUID
    layer: str
    sla: str
    due_at: AwareDatetime
    met_at: AwareDatetime


class EscalationOpened(EventData):
    escalation_id: UUID
    engagement_id: UUID
    match_id: UUID
    program_id: UUID
    layer: str
    sla: str
    due_at: AwareDatetime
    opened_at: AwareDatetime
    rebreach: bool = False


class EscalationResolved(EventData):
    # `resolved_by` is not read: no KPI needs who resolved it.
    escalation_id: UUID
    engagement_id: UUID
    program_id: UUID
    layer: str
    sla: str
    resolved_at: AwareDatetime


class SponsorActionLogged(EventData):
    action_id: UUID
    match_id: UUID
    program_id: UUID
    participant_id: UUID
    mentor_person_id: UUID
    kind: str
    action_date: date
    outcome: str
    logged_at: AwareDatetime


class SponsorActionRetracted(EventData):
    action_id: UUID
    match_id: UUID
    program_id: UUID
    retracted_at: AwareDatetime


class ProgramStatusChanged(EventData):
    program_id: UUID
    status: Literal["active", "paused", "closed"]
    changed_at: AwareDatetime


class ProviderCapacityChanged(EventData):
    provider_id: UUID
    person_id: UUID
    program_id: UUID
    kind: Literal["coach", "mentor"]
    capacity: int
    changed_at: AwareDatetime


class WorkingAgreementSigned(EventData):
    agreement_id: UUID
    engagement_id: UUID
    match_id: UUID
    participant_id: UUID
    version: int
    signed_at: AwareDatetime


class ProposalCreated(EventData):
    proposal_id: UUID
    program_id: UUID
    participant_id: UUID


class GroupSeatBooked(EventData):
    group_session_id: UUID
    program_id: UUID
    person_id: UUID
    seat_id: UUID
    starts_at: AwareDatetime
    from_waitlist: bool = False
    booked_at: AwareDatetime


class GroupSeatReleased(EventData):
    group_session_id: UUID
    program_id: UUID
    person_id: UUID
    seat_id: UUID
    reason_code: str
    released_at: AwareDatetime


__all__ = [
    "ConsentChanged",
    "EngagementCreated",
    "EscalationOpened",
    "EscalationResolved",
    "GroupSeatBooked",
    "GroupSeatReleased",
    "Job",
    "MatchApproved",
    "MatchEnded",
    "PersonDeactivated",
    "PersonJobChanged",
    "PersonProvisioned",
    "PersonReactivated",
    "ProgramStatusChanged",
    "ProposalCreated",
    "ProviderCapacityChanged",
    "ProviderRegistered",
    "SessionAttended",
    "SessionBooked",
    "SessionCancelled",
    "SessionMissed",
    "SlaBreached",
    "SlaMet",
    "SponsorActionLogged",
    "SponsorActionRetracted",
    "WorkingAgreementSigned",
]
