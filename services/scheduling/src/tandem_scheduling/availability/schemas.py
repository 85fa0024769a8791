from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from tandem_scheduling.gateway_client.calendars import CalendarProvider, CalendarStatus

Role = Literal["participant", "provider"]


class PartyCalendar(BaseModel):
    role: Role = Field(description="Whose calendar: the `participant` or the `provider` (coach or mentor).")
    calendar: CalendarStatus = Field(
        description=(
            "`verified`: the calendar was read and its busy times are left out of the slots; `unknown`: "
            "a calendar is connected but could not be read now (a slot is booked only with "
            "`accept_unverified`); `unverified`: no calendar connected, working hours only."
        )
    )
    provider: CalendarProvider | None = Field(description="The calendar's provider, when known.")
    reason: str | None = Field(
        description=(
            "Why the calendar is not `verified`: `not_connected`, `needs_reauth`, `provider_error`, `timeout` "
            "(the gateway's), or `gateway_unavailable` (the gateway did not answer)."
        )
    )
    detail: str = Field(description="What the status means for these slots, for a human.")


class Slot(BaseModel):
    starts_at: datetime = Field(description="Proposed start (UTC).")
    ends_at: datetime = Field(description="Proposed end (UTC), exclusive.")
    participant_calendar: CalendarStatus = Field(
        description="The participant's calendar status for this slot."
    )
    provider_calendar: CalendarStatus = Field(description="The provider's calendar status for this slot.")
    needs_accept_unverified: bool = Field(
        description="A party's calendar is `unknown`: booking this slot needs `accept_unverified: true`."
    )


class SlotSearch(BaseModel):
    engagement_id: UUID = Field(description="Engagement the slots are for.")
    window_start: datetime = Field(description="Start of the searched window.")
    window_end: datetime = Field(description="End of the searched window.")
    duration_minutes: int = Field(description="Length of each proposed slot.")
    calendars: list[PartyCalendar] = Field(
        description="Each party's calendar over the window, participant first: what the slots could check."
    )
    slots: list[Slot] = Field(
        description=(
            "Times inside both people's working hours, clear of their sessions and of the busy times of "
            "their `verified` calendars, earliest first."
        )
    )
