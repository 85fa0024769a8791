from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from tandem_kit.fields import Int4, Text

GroupKind = Literal["office_hours", "peer_cohort"]
MAX_SEATS = 500


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"{value!r} is not an IANA time zone") from exc
    return value


Zone = Annotated[Text, AfterValidator(_zone)]


class GroupSessionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    program_id: UUID = Field(description="Program the group session belongs to.")
    kind: GroupKind = Field(description="`office_hours` (hosted by a coach or mentor) or `peer_cohort`.")
    title: Text = Field(
        min_length=1, max_length=200, description="What the session is about, shown to people."
    )
    host_person_id: UUID | None = Field(
        default=None,
        description=(
            "The coach or mentor hosting office hours (required for them; optional for a peer cohort). "
            "The host's time is held like a seat's. A host creating their own office hours may leave "
            "it out: it defaults to the caller."
        ),
    )
    starts_at: AwareDatetime = Field(description="Start instant with its UTC offset, in the future.")
    ends_at: AwareDatetime = Field(description="End instant with its UTC offset, after `starts_at`.")
    timezone: Zone = Field(max_length=64, description="IANA time zone the session is announced in.")
    seat_limit: Int4 = Field(ge=1, le=MAX_SEATS, description="How many seats there are (1-500).")

    @model_validator(mode="after")
    def _ends_after_start(self) -> "GroupSessionCreate":
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class GroupSessionCancel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Text = Field(min_length=1, max_length=2000, description="Why the group session is cancelled.")


class SeatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person_id: UUID | None = Field(
        default=None,
        description=(
            "Who gets the seat; defaults to the caller. Naming someone else needs a program manager or "
            "a machine client."
        ),
    )


class Seat(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID = Field(description="Seat id.")
    person_id: UUID = Field(description="Who holds the seat.")
    seat_no: int = Field(description="Seat number, 1 to the seat limit.")
    from_waitlist: bool = Field(description="The person was promoted from the waitlist.")
    booked_at: datetime = Field(description="When the seat was booked.")


class WaitlistEntry(BaseModel):
    person_id: UUID = Field(description="Who is waiting.")
    position: int = Field(description="Place in the queue, 1 first.")
    waiting_since: datetime = Field(description="When the person joined the waitlist.")


class GroupSession(BaseModel):
    id: UUID = Field(description="Group session id.")
    program_id: UUID = Field(description="Program the group session belongs to.")
    kind: GroupKind = Field(description="`office_hours` or `peer_cohort`.")
    title: str = Field(description="What the session is about.")
    host_person_id: UUID | None = Field(description="The host of office hours.")
    starts_at: datetime = Field(description="Start instant (RFC 3339).")
    ends_at: datetime = Field(description="End instant, exclusive (RFC 3339).")
    timezone: str = Field(description="IANA time zone the session is announced in.")
    seat_limit: int = Field(description="How many seats there are.")
    seats_taken: int = Field(description="How many seats are booked.")
    waitlist_length: int = Field(description="How many people wait for a seat.")
    status: Literal["scheduled", "cancelled"] = Field(description="`scheduled` or `cancelled`.")
    cancelled_at: datetime | None = Field(description="When it was cancelled.")
    created_at: datetime = Field(description="When it was created.")
    seats: list[Seat] | None = Field(
        description="The seat holders, by seat number: shown to program managers, machine clients and the host."
    )
    waitlist: list[WaitlistEntry] | None = Field(
        description="The waitlist in order: shown to program managers, machine clients and the host."
    )
    my_booking: "SeatBooking | None" = Field(
        description="The caller's own seat or waitlist place in this group session, if any."
    )


class SeatBooking(BaseModel):
    status: Literal["booked", "waitlisted"] = Field(
        description="`booked`: the person has a seat; `waitlisted`: they wait, at `position`."
    )
    group_session_id: UUID = Field(description="The group session.")
    person_id: UUID = Field(description="Who the booking is for.")
    seat_id: UUID | None = Field(description="The seat, when booked.")
    seat_no: int | None = Field(description="The seat number, when booked.")
    position: int | None = Field(description="Place on the waitlist (1 first), when waitlisted.")
    from_waitlist: bool = Field(description="The seat came from the waitlist.")


GroupSession.model_rebuild()
