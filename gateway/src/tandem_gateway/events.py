"""Domain events the gateway emits (past tense, frozen), published as `tandem.gateway.<Type>` through
the gateway's outbox; payloads as in docs/contracts.md."""

from datetime import date, datetime
from typing import Annotated, ClassVar, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from tandem_kit.events import DomainEvent


class GatewayEvent(DomainEvent):
    # `source` is the emitting service (a class attribute of every DomainEvent), so a payload field of
    # that name is declared as `origin` and serialised as `source`, the contract's name.
    model_config = ConfigDict(frozen=True, serialize_by_alias=True, validate_by_name=True)
    source: ClassVar[str] = "gateway"


Origin = Annotated[
    str, Field(alias="source", description="Who changed the directory: scim, workday, bamboohr or api.")
]


class PersonProvisioned(GatewayEvent):
    person_id: UUID
    active: bool
    title: str | None
    level: str | None
    level_rank: int | None
    department: str | None
    division: str | None
    cost_center: str | None
    manager_id: UUID | None
    hire_date: date | None
    timezone: str | None
    location: str | None
    origin: Origin
    occurred_at: datetime


class JobFacts(BaseModel):
    title: str | None
    level: str | None
    level_rank: int | None
    department: str | None
    manager_id: UUID | None


class PersonJobChanged(GatewayEvent):
    person_id: UUID
    old: JobFacts
    new: JobFacts
    promotion: bool
    effective_at: datetime
    origin: Origin


class PersonDeactivated(GatewayEvent):
    person_id: UUID
    deactivated_at: datetime
    origin: Origin


class PersonReactivated(GatewayEvent):
    person_id: UUID
    reactivated_at: datetime
    origin: Origin


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
