"""Group sessions of the network layer (office hours, peer cohorts): seats without overbooking, an
ordered waitlist promoted when a seat frees, and no person double-booked across one-to-one and group
sessions (a seat is a hold under the same exclusion constraint as a session)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.auth import Principal
from tandem_kit.db import EXCLUSION_VIOLATION, sqlstate
from tandem_kit.errors import Conflict, Forbidden, NotFound, Unprocessable
from tandem_kit.events import emit
from tandem_kit.pagination import PageParams
from tandem_scheduling.availability import repository as availability_repository
from tandem_scheduling.events import GroupSeatBooked, GroupSeatReleased, SeatReleaseCode
from tandem_scheduling.group import repository
from tandem_scheduling.group.schemas import GroupSessionCancel, GroupSessionCreate, SeatRequest
from tandem_scheduling.models import GroupSeat, GroupSession, GroupWaitlistEntry
from tandem_scheduling.people import repository as people_repository

log = structlog.get_logger("tandem.scheduling.group")


class GroupSessionNotFound(NotFound):
    code, title = "group-session-not-found", "Group session not found"


class SeatNotFound(NotFound):
    code, title = "seat-not-found", "No seat or waitlist place"


class GroupSessionCancelled(Conflict):
    code, title = "group-session-cancelled", "Group session cancelled"


class GroupSessionStarted(Conflict):
    """Seats are booked before the group session starts."""

    code, title = "group-session-started", "Group session already started"


class PersonDoubleBooked(Conflict):
    """The person already holds that time: a one-to-one session, another seat or office hours."""

    code, title = "person-double-booked", "Person already booked at that time"


class PersonDeactivated(Conflict):
    code, title = "person-deactivated", "Person deactivated"


class NotYourGroupSession(Forbidden):
    """Only program managers, machine clients and (for their own office hours) hosts create or cancel
    group sessions; only they book or release a seat for someone else."""

    code, title = "group-session-forbidden", "Not allowed for this group session"


class InvalidGroupSession(Unprocessable):
    code, title = "invalid-group-session", "Invalid group session"


@dataclass(frozen=True)
class Booking:
    """A person's seat, or their place on the waitlist (`position`, 1 first)."""

    group_session_id: UUID
    person_id: UUID
    seat: GroupSeat | None
    position: int | None

    @property
    def status(self) -> str:
        return "booked" if self.seat is not None else "waitlisted"


@dataclass(frozen=True)
class View:
    """A group session as one caller sees it: seat holders and waitlist only for those who may."""

    group: GroupSession
    seats_taken: int
    waitlist_length: int
    seats: Sequence[GroupSeat] | None
    waitlist: Sequence[tuple[GroupWaitlistEntry, int]] | None
    mine: Booking | None


def manages(principal: Principal, group: GroupSession | None = None) -> bool:
    """Program managers and machine clients manage every group session; a host their own."""
    if principal.person_id is None or principal.supervises:
        return True
    return (
        group is not None
        and group.host_person_id is not None
        and group.host_person_id == principal.person_uuid
    )


def _who(principal: Principal, person_id: UUID | None, *, pointer: str = "#/person_id") -> UUID:
    person = person_id or principal.person_uuid
    if person is None:
        raise InvalidGroupSession("A machine client names the person.", pointer=pointer)
    return person


async def create(
    session: AsyncSession, principal: Principal, data: GroupSessionCreate, *, now: datetime | None = None
) -> GroupSession:
    """Create a group session; office hours hold their host's time like a session does."""
    now = now or datetime.now(UTC)
    host = data.host_person_id
    if not manages(principal):
        # A person creates only office hours of their own.
        if data.kind != "office_hours" or host not in (None, principal.person_uuid):
            raise NotYourGroupSession("Only a program manager creates peer cohorts or others' office hours.")
        host = principal.person_uuid
    if data.kind == "office_hours" and host is None:
        raise InvalidGroupSession("Office hours have a host.", pointer="#/host_person_id")
    starts_at, ends_at = data.starts_at.astimezone(UTC), data.ends_at.astimezone(UTC)
    if starts_at <= now:
        raise InvalidGroupSession("Group sessions are created in the future.", pointer="#/starts_at")
    if host is not None and await people_repository.deactivated_among(session, [host]):
        raise PersonDeactivated(
            f"The host {host} has been deactivated by the HRIS.", pointer="#/host_person_id"
        )
    group = GroupSession(
        program_id=data.program_id,
        kind=data.kind,
        title=data.title,
        host_person_id=host,
        starts_at=starts_at,
        ends_at=ends_at,
        timezone=data.timezone,
        seat_limit=data.seat_limit,
        status="scheduled",
        created_by=principal.subject,
    )
    session.add(group)
    await session.flush()
    if host is not None:
        try:
            await repository.add_host_hold(session, group, host)
        except IntegrityError as exc:
            if sqlstate(exc) == EXCLUSION_VIOLATION:
                raise PersonDoubleBooked(
                    "The host already has a session or a seat at that time.",
                    pointer="#/host_person_id",
                    rule="person-double-booked",
                ) from exc
            raise
    log.info("scheduling.group.created", group_session_id=str(group.id), kind=group.kind)
    return group


async def get(session: AsyncSession, group_session_id: UUID, *, for_update: bool = False) -> GroupSession:
    group = await repository.get(session, group_session_id, for_update=for_update)
    if group is None:
        raise GroupSessionNotFound(f"No group session {group_session_id}.")
    return group


async def views(
    session: AsyncSession, principal: Principal, groups: Sequence[GroupSession], *, detail: bool
) -> list[View]:
    """What the caller sees of these group sessions; seat holders and waitlists (`detail`) only where
    the caller manages the group session. A handful of queries, whatever the number of sessions."""
    ids = [g.id for g in groups]
    counted = await repository.counts(session, ids)
    visible = [g.id for g in groups if detail and manages(principal, g)]
    seats = await repository.booked_seats(session, visible) if visible else []
    waiting = await repository.waiting_entries(session, visible) if visible else []
    me = principal.person_uuid
    mine: dict[UUID, Booking] = {}
    if me is not None:
        own_seats, own_entries = await repository.of_person_in(session, ids, me)
        for seat in own_seats:
            mine[seat.group_session_id] = Booking(seat.group_session_id, me, seat, None)
        for entry in own_entries:
            mine[entry.group_session_id] = Booking(
                entry.group_session_id, me, None, await repository.rank_of(session, entry)
            )
    result = []
    for g in groups:
        shown = g.id in visible
        queue = [e for e in waiting if e.group_session_id == g.id]
        result.append(
            View(
                group=g,
                seats_taken=counted[g.id][0],
                waitlist_length=counted[g.id][1],
                seats=[s for s in seats if s.group_session_id == g.id] if shown else None,
                waitlist=[(e, rank) for rank, e in enumerate(queue, start=1)] if shown else None,
                mine=mine.get(g.id),
            )
        )
    return result


async def get_view(session: AsyncSession, principal: Principal, group_session_id: UUID) -> View:
    return (await views(session, principal, [await get(session, group_session_id)], detail=True))[0]


async def page_views(
    session: AsyncSession,
    principal: Principal,
    params: PageParams,
    *,
    program_id: UUID | None = None,
    starts_from: datetime | None = None,
    starts_to: datetime | None = None,
) -> tuple[list[View], int]:
    rows, total = await repository.page(
        session, params, program_id=program_id, starts_from=starts_from, starts_to=starts_to
    )
    return await views(session, principal, rows, detail=False), total


async def book_seat(
    session: AsyncSession,
    principal: Principal,
    group_session_id: UUID,
    data: SeatRequest,
    *,
    now: datetime | None = None,
) -> tuple[Booking, bool]:
    """Book a seat for the caller (or, for a manager, the person named), or put them on the waitlist
    when every seat is taken; either is refused (409 `person-double-booked`) to a person whose time is
    taken then. True with a new booking; the same request again changes nothing."""
    now = now or datetime.now(UTC)
    person = _who(principal, data.person_id)
    if person != principal.person_uuid and not manages(principal):
        raise NotYourGroupSession("Only a program manager or a machine client books a seat for someone else.")
    group = await get(session, group_session_id, for_update=True)
    if (seat := await repository.seat_of(session, group.id, person)) is not None:
        return Booking(group.id, person, seat, None), False
    if (entry := await repository.entry_of(session, group.id, person)) is not None:
        return Booking(group.id, person, None, await repository.rank_of(session, entry)), False
    if group.status != "scheduled":
        raise GroupSessionCancelled(f"Group session {group.id} was cancelled.")
    if group.starts_at <= now:
        raise GroupSessionStarted(f"Group session {group.id} started at {group.starts_at.isoformat()}.")
    if await people_repository.deactivated_among(session, [person]):
        raise PersonDeactivated(f"Person {person} has been deactivated by the HRIS.", pointer="#/person_id")
    number = await repository.free_seat_no(session, group)
    if number is None:
        # A place on the list is a promise of a seat: refused, as the seat would be, to someone busy then.
        if await availability_repository.busy_ranges(session, [person], group.starts_at, group.ends_at):
            raise _double_booked(person)
        entry = GroupWaitlistEntry(
            group_session_id=group.id,
            person_id=person,
            position=await repository.next_position(session, group.id),
            status="waiting",
            requested_by=principal.subject,
            created_at=now,
        )
        session.add(entry)
        await session.flush()
        log.info("scheduling.group.waitlisted", group_session_id=str(group.id))
        return Booking(group.id, person, None, await repository.rank_of(session, entry)), True
    seat = _seat(group, person, number, by=principal.subject, now=now, from_waitlist=False)
    try:
        await repository.add_seat(session, group, seat)
    except IntegrityError as exc:
        if sqlstate(exc) == EXCLUSION_VIOLATION:
            raise _double_booked(person) from exc
        raise
    await _booked(session, group, seat)
    return Booking(group.id, person, seat, None), True


def _double_booked(person: UUID) -> PersonDoubleBooked:
    return PersonDoubleBooked(
        f"Person {person} already has a session or a seat at that time.",
        pointer="#/person_id",
        rule="person-double-booked",
    )


def _seat(
    group: GroupSession, person: UUID, number: int, *, by: str, now: datetime, from_waitlist: bool
) -> GroupSeat:
    return GroupSeat(
        group_session_id=group.id,
        seat_limit=group.seat_limit,
        seat_no=number,
        person_id=person,
        status="booked",
        from_waitlist=from_waitlist,
        booked_by=by,
        booked_at=now,
    )


async def _booked(session: AsyncSession, group: GroupSession, seat: GroupSeat) -> None:
    await emit(
        session,
        GroupSeatBooked(
            group_session_id=group.id,
            program_id=group.program_id,
            person_id=seat.person_id,
            seat_id=seat.id,
            starts_at=group.starts_at,
            ends_at=group.ends_at,
            from_waitlist=seat.from_waitlist,
            booked_at=seat.booked_at,
        ),
    )
    log.info("scheduling.group.seat_booked", group_session_id=str(group.id), from_waitlist=seat.from_waitlist)


async def release_seat(
    session: AsyncSession,
    principal: Principal,
    group_session_id: UUID,
    person_id: UUID,
    *,
    now: datetime | None = None,
) -> Booking:
    """Give up a seat (the next person whose time is free is promoted in the same transaction) or a
    place on the waitlist. What was released is returned."""
    now = now or datetime.now(UTC)
    group = await get(session, group_session_id, for_update=True)
    if person_id != principal.person_uuid and not manages(principal, group):
        raise NotYourGroupSession("Only the person, the host or a program manager releases a seat.")
    released = await _release_person(session, group, person_id, code="requested", now=now)
    if released is None:
        raise SeatNotFound(
            f"Person {person_id} has no seat and no waitlist place in group session {group.id}."
        )
    return released


async def _release_person(
    session: AsyncSession, group: GroupSession, person_id: UUID, *, code: SeatReleaseCode, now: datetime
) -> Booking | None:
    """With the group session locked: release the person's seat and promote, or leave the waitlist."""
    seat = await repository.seat_of(session, group.id, person_id)
    if seat is not None:
        await _release(session, group, seat, code=code, now=now)
        await promote(session, group, now=now)
        return Booking(group.id, person_id, seat, None)
    entry = await repository.entry_of(session, group.id, person_id)
    if entry is not None:
        rank = await repository.rank_of(session, entry)
        entry.status = "left" if code == "requested" else "removed"
        entry.closed_at = now
        await session.flush()
        return Booking(group.id, person_id, None, rank)
    return None


async def _release(
    session: AsyncSession, group: GroupSession, seat: GroupSeat, *, code: SeatReleaseCode, now: datetime
) -> None:
    seat.status = "released"
    seat.released_at = now
    seat.release_reason = code
    await session.flush()
    await repository.release_holds_of_seat(session, seat.id)
    await emit(
        session,
        GroupSeatReleased(
            group_session_id=group.id,
            program_id=group.program_id,
            person_id=seat.person_id,
            seat_id=seat.id,
            reason_code=code,
            released_at=now,
        ),
    )
    log.info("scheduling.group.seat_released", group_session_id=str(group.id), reason=code)


async def promote(session: AsyncSession, group: GroupSession, *, now: datetime) -> list[GroupSeat]:
    """Fill free seats from the waitlist, in order, with the group session locked. A person whose time
    is no longer free (the exclusion constraint says so) keeps their place; a deactivated one leaves."""
    promoted: list[GroupSeat] = []
    if group.status != "scheduled" or group.starts_at <= now:
        return promoted
    for entry in await repository.waiting_entries(session, [group.id]):
        number = await repository.free_seat_no(session, group)
        if number is None:
            break
        if await people_repository.deactivated_among(session, [entry.person_id]):
            entry.status, entry.closed_at = "removed", now
            continue
        seat = _seat(group, entry.person_id, number, by=entry.requested_by, now=now, from_waitlist=True)
        try:
            await repository.add_seat(session, group, seat)  # in a savepoint: a refusal leaves the rest
        except IntegrityError as exc:
            if sqlstate(exc) != EXCLUSION_VIOLATION:
                raise
            continue
        entry.status, entry.closed_at = "promoted", now
        await session.flush()
        await _booked(session, group, seat)
        promoted.append(seat)
    return promoted


async def cancel(
    session: AsyncSession,
    principal: Principal,
    group_session_id: UUID,
    data: GroupSessionCancel,
    *,
    now: datetime | None = None,
) -> GroupSession:
    """Cancel a group session: every seat released (`session_cancelled`), the waitlist closed, the
    host's time freed."""
    now = now or datetime.now(UTC)
    group = await get(session, group_session_id, for_update=True)
    if not manages(principal, group):
        raise NotYourGroupSession("Only the host or a program manager cancels a group session.")
    if group.status == "cancelled":
        raise GroupSessionCancelled(f"Group session {group.id} was cancelled at {group.cancelled_at}.")
    await _cancel(session, group, reason=data.reason, now=now)
    return group


async def _cancel(session: AsyncSession, group: GroupSession, *, reason: str, now: datetime) -> None:
    """With the group session locked: every seat released (`GroupSeatReleased`, `session_cancelled`),
    the waitlist closed, every hold (the host's too) freed."""
    group.status, group.cancelled_at, group.cancel_reason = "cancelled", now, reason
    for seat in await repository.booked_seats(session, [group.id]):
        await _release(session, group, seat, code="session_cancelled", now=now)
    await repository.close_waitlist(session, group.id, at=now)
    await repository.release_all_holds(session, group.id)
    await session.flush()
    log.info("scheduling.group.cancelled", group_session_id=str(group.id))


HOST_GONE_REASON = "The host was deactivated by the HRIS."


async def host_gone(session: AsyncSession, person_id: UUID, *, now: datetime) -> int:
    """The host was deactivated: the group sessions they host that have not started are cancelled as
    `POST .../cancel` does (seats released with `session_cancelled`, the waitlist closed, the host's
    time freed). Ones already cancelled or started stay. How many were cancelled."""
    ids = await repository.upcoming_hosted_by(session, person_id, now)
    for group_session_id in ids:
        group = await get(session, group_session_id, for_update=True)
        # Locked after the listing: a concurrent cancel may have come first.
        if group.status == "scheduled":
            await _cancel(session, group, reason=HOST_GONE_REASON, now=now)
    return len(ids)


async def person_gone(session: AsyncSession, person_id: UUID, *, code: SeatReleaseCode, now: datetime) -> int:
    """The person was deactivated or erased: their seats in group sessions still ahead are released
    (the waitlist promoted) and their waitlist places removed. How many group sessions it touched."""
    ids = await repository.upcoming_of_person(session, person_id, now)
    for group_session_id in ids:
        group = await get(session, group_session_id, for_update=True)
        await _release_person(session, group, person_id, code=code, now=now)
    return len(ids)


async def views_by_ids(session: AsyncSession, principal: Principal, ids: Sequence[UUID]) -> dict[UUID, View]:
    """Group sessions by id with what the caller may see of their seats (GraphQL's batches)."""
    groups = await repository.list_by_ids(session, ids)
    return {v.group.id: v for v in await views(session, principal, groups, detail=True)}


async def erase_person(session: AsyncSession, person_id: UUID, *, now: datetime) -> int:
    """Erasure: seats ahead released (`erased`, the waitlist promoted), then every seat and waitlist
    row of the person deleted (their holds go with them); office hours they host keep running under a
    fresh random id. How many rows were about the person."""
    await person_gone(session, person_id, code="erased", now=now)
    hosted = await repository.hosted_by(session, person_id)
    if hosted:
        await repository.rekey_host(session, person_id, uuid4())
    return await repository.delete_person_rows(session, person_id) + len(hosted)


async def export_person(session: AsyncSession, person_id: UUID) -> dict[str, list[dict[str, Any]]]:
    """The person's seats, waitlist places and hosted group sessions, for an access request."""
    seats = await repository.seats_of_person(session, person_id)
    entries = await repository.entries_of_person(session, person_id)
    hosted = await repository.hosted_by(session, person_id)
    export: dict[str, list[dict[str, Any]]] = {}
    if seats:
        export["group_seats"] = [
            {
                "group_session_id": str(s.group_session_id),
                "seat_no": s.seat_no,
                "status": s.status,
                "from_waitlist": s.from_waitlist,
                "booked_at": s.booked_at.isoformat(),
                "released_at": s.released_at.isoformat() if s.released_at else None,
                "release_reason": s.release_reason,
            }
            for s in seats
        ]
    if entries:
        export["group_waitlist_entries"] = [
            {
                "group_session_id": str(e.group_session_id),
                "status": e.status,
                "created_at": e.created_at.isoformat(),
                "closed_at": e.closed_at.isoformat() if e.closed_at else None,
            }
            for e in entries
        ]
    if hosted:
        export["hosted_group_sessions"] = [
            {"id": str(g.id), "title": g.title, "starts_at": g.starts_at.isoformat(), "status": g.status}
            for g in hosted
        ]
    return export
