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


__all__ = [
    "ConsentChanged",
    "EngagementCreated",
    "Job",
    "MatchApproved",
    "MatchEnded",
    "PersonDeactivated",
    "PersonJobChanged",
    "PersonProvisioned",
    "PersonReactivated",
    "ProviderRegistered",
    "SessionBooked",
    "SessionCancelled",
    "SlaBreached",
]
