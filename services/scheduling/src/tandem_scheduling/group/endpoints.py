from uuid import UUID

from fastapi import APIRouter, Query, Response, status
from pydantic import AwareDatetime

from tandem_kit.db import SessionDep
from tandem_kit.openapi import problems
from tandem_kit.pagination import Page, PageQuery, page_of
from tandem_scheduling.auth import SchedulingRead, SchedulingWrite
from tandem_scheduling.group import service
from tandem_scheduling.group.schemas import (
    GroupSession,
    GroupSessionCancel,
    GroupSessionCreate,
    Seat,
    SeatBooking,
    SeatRequest,
    WaitlistEntry,
)
from tandem_scheduling.group.service import (
    GroupSessionCancelled,
    GroupSessionNotFound,
    GroupSessionStarted,
    InvalidGroupSession,
    NotYourGroupSession,
    PersonDeactivated,
    PersonDoubleBooked,
    SeatNotFound,
)

router = APIRouter(prefix="/group-sessions", tags=["group-sessions"])


@router.post(
    "",
    response_model=GroupSession,
    status_code=status.HTTP_201_CREATED,
    responses=problems(InvalidGroupSession, NotYourGroupSession, PersonDeactivated, PersonDoubleBooked),
)
async def create_group_session(
    data: GroupSessionCreate, principal: SchedulingWrite, session: SessionDep
) -> GroupSession:
    """Create office hours or a peer cohort meeting with a seat limit."""
    group = await service.create(session, principal, data)
    return group_session_out((await service.views(session, principal, [group], detail=True))[0])


@router.get("", response_model=Page[GroupSession])
async def list_group_sessions(
    principal: SchedulingRead,
    session: SessionDep,
    page: PageQuery,
    program_id: UUID | None = Query(default=None, description="Only this program's group sessions."),
    starts_from: AwareDatetime | None = Query(
        default=None, alias="from", description="Only those starting at or after this instant."
    ),
    starts_to: AwareDatetime | None = Query(
        default=None, alias="to", description="Only those starting before this instant."
    ),
) -> Page[GroupSession]:
    """List group sessions, earliest first (seat holders are shown on one group session only)."""
    views, total = await service.page_views(
        session, principal, page, program_id=program_id, starts_from=starts_from, starts_to=starts_to
    )
    return page_of(views, total, page, group_session_out)


@router.get("/{group_session_id}", response_model=GroupSession, responses=problems(GroupSessionNotFound))
async def get_group_session(
    group_session_id: UUID, principal: SchedulingRead, session: SessionDep
) -> GroupSession:
    """Get a group session with its seats taken and waitlist (holders shown to managers and the host)."""
    return group_session_out(await service.get_view(session, principal, group_session_id))


@router.post(
    "/{group_session_id}/cancel",
    response_model=GroupSession,
    responses=problems(GroupSessionNotFound, GroupSessionCancelled, NotYourGroupSession),
)
async def cancel_group_session(
    group_session_id: UUID, data: GroupSessionCancel, principal: SchedulingWrite, session: SessionDep
) -> GroupSession:
    """Cancel a group session: every seat released, the waitlist closed."""
    group = await service.cancel(session, principal, group_session_id, data)
    return group_session_out((await service.views(session, principal, [group], detail=True))[0])


@router.post(
    "/{group_session_id}/seats",
    response_model=SeatBooking,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"model": SeatBooking, "description": "The person already had this seat or waitlist place."},
        **problems(
            GroupSessionNotFound,
            GroupSessionCancelled,
            GroupSessionStarted,
            InvalidGroupSession,
            NotYourGroupSession,
            PersonDeactivated,
            PersonDoubleBooked,
        ),
    },
)
async def book_seat(
    group_session_id: UUID,
    data: SeatRequest,
    principal: SchedulingWrite,
    session: SessionDep,
    response: Response,
) -> SeatBooking:
    """Book a seat, or join the waitlist when every seat is taken; the same request again changes nothing."""
    booking, created = await service.book_seat(session, principal, group_session_id, data)
    if not created:
        response.status_code = status.HTTP_200_OK
    return booking_out(booking)


@router.delete(
    "/{group_session_id}/seats/{person_id}",
    response_model=SeatBooking,
    responses=problems(GroupSessionNotFound, NotYourGroupSession, SeatNotFound),
)
async def release_seat(
    group_session_id: UUID, person_id: UUID, principal: SchedulingWrite, session: SessionDep
) -> SeatBooking:
    """Release a person's seat (the next person on the waitlist gets it) or waitlist place."""
    return booking_out(await service.release_seat(session, principal, group_session_id, person_id))


def booking_out(b: service.Booking) -> SeatBooking:
    seat = b.seat
    return SeatBooking(
        status="booked" if seat is not None else "waitlisted",
        group_session_id=b.group_session_id,
        person_id=b.person_id,
        seat_id=seat.id if seat is not None else None,
        seat_no=seat.seat_no if seat is not None else None,
        position=b.position,
        from_waitlist=bool(seat.from_waitlist) if seat is not None else False,
    )


def group_session_out(v: service.View) -> GroupSession:
    g = v.group
    return GroupSession(
        id=g.id,
        program_id=g.program_id,
        kind=g.kind,
        title=g.title,
        host_person_id=g.host_person_id,
        starts_at=g.starts_at,
        ends_at=g.ends_at,
        timezone=g.timezone,
        seat_limit=g.seat_limit,
        seats_taken=v.seats_taken,
        waitlist_length=v.waitlist_length,
        status=g.status,
        cancelled_at=g.cancelled_at,
        created_at=g.created_at,
        seats=[Seat.model_validate(s) for s in v.seats] if v.seats is not None else None,
        waitlist=(
            [
                WaitlistEntry(person_id=e.person_id, position=rank, waiting_since=e.created_at)
                for e, rank in v.waitlist
            ]
            if v.waitlist is not None
            else None
        ),
        my_booking=booking_out(v.mine) if v.mine is not None else None,
    )
