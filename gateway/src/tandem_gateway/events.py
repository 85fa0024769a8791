"""Domain events the gateway emits (past tense, frozen), published as `tandem.gateway.<Type>` through
the gateway's outbox; payloads as in docs/contracts.md."""

from datetime import datetime
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from tandem_kit.events import DomainEvent


class GatewayEvent(DomainEvent):
    source: ClassVar[str] = "gateway"


class CalendarConnected(GatewayEvent):
    connection_id: UUID
    person_id: UUID
    provider: Literal["google", "microsoft"]
    connected_at: datetime


class CalendarConnectionBroken(GatewayEvent):
    connection_id: UUID
    person_id: UUID
    provider: Literal["google", "microsoft"]
    reason: Literal["invalid_grant", "revoked", "disconnected"]
    broken_at: datetime


class BusyTime(BaseModel):
    model_config = ConfigDict(frozen=True)

    start: datetime
    end: datetime


class CalendarBusyChanged(GatewayEvent):
    """A change notification brought new busy times for the window around the person's booked sessions
    (busy times only, never titles or attendees); scheduling checks them against those sessions."""

    person_id: UUID
    provider: Literal["google", "microsoft"]
    window_start: datetime
    window_end: datetime
    busy: list[BusyTime]
    changed_at: datetime
