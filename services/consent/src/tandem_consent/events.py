"""Domain events the consent service emits (past tense, frozen). See docs/contracts.md."""

from datetime import datetime
from typing import ClassVar
from uuid import UUID

from tandem_kit.events import DomainEvent


class ConsentEvent(DomainEvent):
    source: ClassVar[str] = "consent"


class ConsentGranted(ConsentEvent):
    """A person granted a purpose (or changed which fields the grant covers)."""

    person_id: UUID
    purpose: str
    notice_version: int
    granted_at: datetime


class ConsentWithdrawn(ConsentEvent):
    """A person's grant for a purpose ended: stop using their data for it."""

    person_id: UUID
    purpose: str
    withdrawn_at: datetime


class RetentionPurgeRequested(ConsentEvent):
    """A retention run found `category` expired before `cutoff`: the holding `service` purges it."""

    run_id: UUID
    category: str
    service: str
    action: str
    cutoff: datetime


class DataSubjectRequestOpened(ConsentEvent):
    """A person asked for a copy (`access`) or the erasure of their data: each listed service answers
    with a receipt (`POST /api/v1/consent/data-subject-requests/{request_id}/receipts`)."""

    request_id: UUID
    person_id: UUID
    kind: str
    due_at: datetime
    services: list[str]


class DataSubjectRequestCompleted(ConsentEvent):
    """Every expected service has answered the request."""

    request_id: UUID
    person_id: UUID
    kind: str
    completed_at: datetime
