"""Free/busy API schemas, the events the calendar writer reads, and the notifications providers send."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from tandem_gateway.calendars.domain import MAX_WINDOW, CalendarStatus, Provider, Reason
from tandem_kit.fields import Text

MAX_PEOPLE = 50


class FreeBusyQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person_ids: list[UUID] = Field(
        min_length=1, max_length=MAX_PEOPLE, description="The people whose busy times are wanted."
    )
    start: AwareDatetime = Field(description="Window start (inclusive), with a time zone offset.")
    end: AwareDatetime = Field(description="Window end (exclusive), after `start`, at most 62 days later.")

    @field_validator("person_ids")
    @classmethod
    def _distinct(cls, value: list[UUID]) -> list[UUID]:
        return list(dict.fromkeys(value))

    @field_validator("start", "end")
    @classmethod
    def _in_utc(cls, value: datetime) -> datetime:
        # An offset that moves a time past year 1 or 9999 cannot be a calendar window.
        try:
            return value.astimezone(UTC)
        except OverflowError as exc:
            raise ValueError("the time is out of range") from exc

    @field_validator("end")
    @classmethod
    def _window(cls, value: datetime, info: ValidationInfo) -> datetime:
        start = info.data.get("start")
        if start is not None and value <= start:
            raise ValueError("end must be after start")
        if start is not None and value - start > MAX_WINDOW:
            raise ValueError("the window is at most 62 days")
        return value


class BusyInterval(BaseModel):
    start: datetime = Field(description="Busy from (UTC).")
    end: datetime = Field(description="Busy until (UTC, exclusive).")


class PersonFreeBusy(BaseModel):
    person_id: UUID = Field(description="The person.")
    calendar: CalendarStatus = Field(
        description="`verified`: read now or from the short cache; `unknown`: connected but unreadable "
        "(not free); `unverified`: no calendar connected, working hours only."
    )
    provider: Provider | None = Field(description="The connected calendar's provider, if any.")
    reason: Reason | None = Field(description="Why the calendar is not `verified`.")
    busy: list[BusyInterval] = Field(description="Busy intervals, merged, in UTC, clipped to the window.")


class FreeBusy(BaseModel):
    people: list[PersonFreeBusy] = Field(description="One entry per person asked about, in the order asked.")


# -- consumed events (named after the event, read fields only) -------------------------------------


class SessionBooked(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    session_id: UUID
    engagement_id: UUID
    participant_id: UUID
    provider_person_id: UUID
    starts_at: AwareDatetime
    ends_at: AwareDatetime


class SessionCancelled(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    session_id: UUID


class CalendarConnected(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    connection_id: UUID
    person_id: UUID
    provider: Provider


class CalendarConnectionBroken(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    connection_id: UUID


# -- Microsoft Graph notifications -----------------------------------------------------------------


class GraphNotification(BaseModel):
    """One change or lifecycle notification of a Graph subscription (fields Tandem reads)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    subscription_id: Text = Field(alias="subscriptionId", max_length=200, description="The subscription.")
    client_state: Text | None = Field(
        default=None, alias="clientState", max_length=255, description="The secret set at creation."
    )
    lifecycle_event: Literal["reauthorizationRequired", "subscriptionRemoved", "missed"] | None = Field(
        default=None, alias="lifecycleEvent", description="Set on lifecycle notifications only."
    )


class GraphNotifications(BaseModel):
    model_config = ConfigDict(extra="ignore")

    value: list[GraphNotification] = Field(max_length=1000, description="The notifications of one POST.")
