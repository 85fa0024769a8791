"""GraphQL `GroupSession`, its query and the seat mutations: the same service calls, scopes and
object-level checks as REST."""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from tandem_kit.auth import Principal
from tandem_kit.graphql import (
    Page,
    exclusive_session,
    field,
    graphql_input,
    graphql_page,
    keyed_loader,
    mutation_session,
    page_params,
    parse_id,
    require_scope,
)
from tandem_scheduling.group import service
from tandem_scheduling.group.schemas import GroupSessionCancel, GroupSessionCreate, SeatRequest


@strawberry.type(description="A seat of a group session and who holds it.")
class GroupSeat:
    id: strawberry.ID
    person_id: strawberry.ID
    seat_no: int
    from_waitlist: bool
    booked_at: datetime


@strawberry.type(description="A person waiting for a seat; position 1 is next.")
class GroupWaitlistEntry:
    person_id: strawberry.ID
    position: int
    waiting_since: datetime


@strawberry.type(description="A person's seat (`status: booked`) or waitlist place (`status: waitlisted`).")
class SeatBooking:
    status: str
    group_session_id: strawberry.ID
    person_id: strawberry.ID
    seat_id: strawberry.ID | None
    seat_no: int | None
    position: int | None
    from_waitlist: bool


@strawberry.federation.type(
    keys=["id"], description="Office hours or a peer cohort meeting of a program, with a seat limit."
)
class GroupSession:
    id: strawberry.ID
    program_id: strawberry.ID
    kind: str
    title: str
    host_person_id: strawberry.ID | None
    starts_at: datetime
    ends_at: datetime
    timezone: str
    status: str
    seat_limit: int
    seats_taken: int
    waitlist_length: int
    cancelled_at: datetime | None
    my_booking: SeatBooking | None = strawberry.field(
        description="The caller's own seat or waitlist place, if any."
    )

    @field(
        description="Seat holders by seat number; null unless the caller is a program manager, a machine client or the host."
    )
    async def seats(self, info: Info[Any, Any]) -> list[GroupSeat] | None:
        view = await keyed_loader(info, "group_views", service.views_by_ids).load(UUID(str(self.id)))
        if view is None or view.seats is None:
            return None
        return [
            GroupSeat(
                id=strawberry.ID(str(s.id)),
                person_id=strawberry.ID(str(s.person_id)),
                seat_no=s.seat_no,
                from_waitlist=s.from_waitlist,
                booked_at=s.booked_at,
            )
            for s in view.seats
        ]

    @field(
        description="The waitlist in order; null unless the caller is a program manager, a machine client or the host."
    )
    async def waitlist(self, info: Info[Any, Any]) -> list[GroupWaitlistEntry] | None:
        view = await keyed_loader(info, "group_views", service.views_by_ids).load(UUID(str(self.id)))
        if view is None or view.waitlist is None:
            return None
        return [
            GroupWaitlistEntry(
                person_id=strawberry.ID(str(e.person_id)), position=rank, waiting_since=e.created_at
            )
            for e, rank in view.waitlist
        ]

    @classmethod
    async def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> "GroupSession | None":
        require_scope(info, "scheduling:read")
        group_session_id = parse_id(id)
        if group_session_id is None:
            return None
        view = await keyed_loader(info, "group_views", service.views_by_ids).load(group_session_id)
        return to_graphql(view) if view is not None else None


def booking_to_graphql(b: service.Booking) -> SeatBooking:
    return SeatBooking(
        status=b.status,
        group_session_id=strawberry.ID(str(b.group_session_id)),
        person_id=strawberry.ID(str(b.person_id)),
        seat_id=strawberry.ID(str(b.seat.id)) if b.seat is not None else None,
        seat_no=b.seat.seat_no if b.seat is not None else None,
        position=b.position,
        from_waitlist=b.seat.from_waitlist if b.seat is not None else False,
    )


def to_graphql(v: service.View) -> GroupSession:
    g = v.group
    return GroupSession(
        id=strawberry.ID(str(g.id)),
        program_id=strawberry.ID(str(g.program_id)),
        kind=g.kind,
        title=g.title,
        host_person_id=strawberry.ID(str(g.host_person_id)) if g.host_person_id else None,
        starts_at=g.starts_at,
        ends_at=g.ends_at,
        timezone=g.timezone,
        status=g.status,
        seat_limit=g.seat_limit,
        seats_taken=v.seats_taken,
        waitlist_length=v.waitlist_length,
        cancelled_at=g.cancelled_at,
        my_booking=booking_to_graphql(v.mine) if v.mine is not None else None,
    )


async def _one_view(session: AsyncSession, principal: Principal, group_session_id: UUID) -> GroupSession:
    views: Mapping[UUID, service.View] = await service.views_by_ids(session, principal, [group_session_id])
    return to_graphql(views[group_session_id])


def _group_id(value: strawberry.ID) -> UUID:
    found = parse_id(value)
    if found is None:
        raise service.GroupSessionNotFound(f"No group session {value}.")
    return found


@strawberry.type
class GroupQuery:
    @field(description="One group session.")
    async def group_session(self, info: Info[Any, Any], id: strawberry.ID) -> GroupSession | None:
        require_scope(info, "scheduling:read")
        group_session_id = parse_id(id)
        if group_session_id is None:
            return None
        view = await keyed_loader(info, "group_views", service.views_by_ids).load(group_session_id)
        return to_graphql(view) if view is not None else None

    @field(
        description="Group sessions, earliest first, optionally of one program and starting in [from, to)."
    )
    async def group_sessions(
        self,
        info: Info[Any, Any],
        program_id: strawberry.ID | None = None,
        starts_from: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        starts_to: Annotated[datetime | None, strawberry.argument(name="to")] = None,
        limit: int = 100,
        offset: int = 0,
    ) -> Page[GroupSession]:
        principal = require_scope(info, "scheduling:read")
        params = page_params(limit, offset)
        program = parse_id(program_id) if program_id is not None else None
        if program_id is not None and program is None:
            return graphql_page([], 0, params, to_graphql)
        async with exclusive_session(info) as session:
            views, total = await service.page_views(
                session, principal, params, program_id=program, starts_from=starts_from, starts_to=starts_to
            )
        return graphql_page(views, total, params, to_graphql)


@strawberry.type
class GroupMutation:
    @field(description="Create office hours or a peer cohort meeting (as `POST /group-sessions`).")
    async def create_group_session(
        self,
        info: Info[Any, Any],
        program_id: strawberry.ID,
        kind: str,
        title: str,
        starts_at: datetime,
        ends_at: datetime,
        timezone: str,
        seat_limit: int,
        host_person_id: strawberry.ID | None = None,
    ) -> GroupSession:
        principal = require_scope(info, "scheduling:write")
        data = graphql_input(
            GroupSessionCreate,
            "input",
            {
                "program_id": program_id,
                "kind": kind,
                "title": title,
                "starts_at": starts_at,
                "ends_at": ends_at,
                "timezone": timezone,
                "seat_limit": seat_limit,
                "host_person_id": host_person_id,
            },
        )
        async with mutation_session(info) as session:
            group = await service.create(session, principal, data)
            return await _one_view(session, principal, group.id)

    @field(description="Cancel a group session: every seat released, the waitlist closed.")
    async def cancel_group_session(
        self, info: Info[Any, Any], id: strawberry.ID, reason: str
    ) -> GroupSession:
        principal = require_scope(info, "scheduling:write")
        data = graphql_input(GroupSessionCancel, "input", {"reason": reason})
        async with mutation_session(info) as session:
            group = await service.cancel(session, principal, _group_id(id), data)
            return await _one_view(session, principal, group.id)

    @field(description="Book a seat for the caller (or, for a manager, `personId`), or join the waitlist.")
    async def book_seat(
        self, info: Info[Any, Any], group_session_id: strawberry.ID, person_id: strawberry.ID | None = None
    ) -> SeatBooking:
        principal = require_scope(info, "scheduling:write")
        data = graphql_input(SeatRequest, "input", {"person_id": person_id})
        async with mutation_session(info) as session:
            booking, _ = await service.book_seat(session, principal, _group_id(group_session_id), data)
        return booking_to_graphql(booking)

    @field(description="Release a person's seat (the waitlist moves up) or waitlist place.")
    async def release_seat(
        self, info: Info[Any, Any], group_session_id: strawberry.ID, person_id: strawberry.ID
    ) -> SeatBooking:
        principal = require_scope(info, "scheduling:write")
        person = parse_id(person_id)
        if person is None:
            raise service.SeatNotFound(f"No seat of {person_id}.")
        async with mutation_session(info) as session:
            booking = await service.release_seat(session, principal, _group_id(group_session_id), person)
        return booking_to_graphql(booking)


__all__: Sequence[str] = ["GroupMutation", "GroupQuery", "GroupSession"]
