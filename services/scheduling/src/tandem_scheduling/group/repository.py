from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.dialects.postgresql import Range
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.db import write_in_savepoint
from tandem_kit.pagination import PageParams, fetch_page
from tandem_scheduling.models import GroupSeat, GroupSession, GroupWaitlistEntry, SessionAttendee

BOOKED, WAITING = "booked", "waiting"


def listing_statement(
    *, program_id: UUID | None, starts_from: datetime | None, starts_to: datetime | None
) -> Select[tuple[GroupSession]]:
    # Group sessions are a program's open offer: anyone who may read scheduling sees them (their seat
    # holders are another matter, decided in the service).
    statement = select(GroupSession).order_by(GroupSession.starts_at, GroupSession.id)
    if program_id is not None:
        statement = statement.where(GroupSession.program_id == program_id)
    if starts_from is not None:
        statement = statement.where(GroupSession.starts_at >= starts_from)
    if starts_to is not None:
        statement = statement.where(GroupSession.starts_at < starts_to)
    return statement


async def page(
    session: AsyncSession,
    params: PageParams,
    *,
    program_id: UUID | None,
    starts_from: datetime | None,
    starts_to: datetime | None,
) -> tuple[Sequence[GroupSession], int]:
    statement = listing_statement(program_id=program_id, starts_from=starts_from, starts_to=starts_to)
    return await fetch_page(session, statement, params)


async def get(
    session: AsyncSession, group_session_id: UUID, *, for_update: bool = False
) -> GroupSession | None:
    statement = select(GroupSession).where(GroupSession.id == group_session_id)
    if for_update:
        # The lock serializes seat numbering and the waitlist order of one group session; the locked
        # read must see the committed row, not a copy loaded earlier in this session.
        statement = statement.with_for_update().execution_options(populate_existing=True)
    found = await session.scalar(statement)
    return found


async def list_by_ids(session: AsyncSession, ids: Sequence[UUID]) -> Sequence[GroupSession]:
    return (await session.scalars(select(GroupSession).where(GroupSession.id.in_(ids)))).all()


async def counts(session: AsyncSession, ids: Sequence[UUID]) -> dict[UUID, tuple[int, int]]:
    """Booked seats and waiting people per group session, in two grouped queries."""
    seats = dict(
        (
            await session.execute(
                select(GroupSeat.group_session_id, func.count())
                .where(GroupSeat.group_session_id.in_(ids), GroupSeat.status == BOOKED)
                .group_by(GroupSeat.group_session_id)
            )
        )
        .tuples()
        .all()
    )
    waiting = dict(
        (
            await session.execute(
                select(GroupWaitlistEntry.group_session_id, func.count())
                .where(GroupWaitlistEntry.group_session_id.in_(ids), GroupWaitlistEntry.status == WAITING)
                .group_by(GroupWaitlistEntry.group_session_id)
            )
        )
        .tuples()
        .all()
    )
    return {i: (seats.get(i, 0), waiting.get(i, 0)) for i in ids}


async def booked_seats(session: AsyncSession, ids: Sequence[UUID]) -> Sequence[GroupSeat]:
    statement = (
        select(GroupSeat)
        .where(GroupSeat.group_session_id.in_(ids), GroupSeat.status == BOOKED)
        .order_by(GroupSeat.group_session_id, GroupSeat.seat_no)
    )
    return (await session.scalars(statement)).all()


async def waiting_entries(session: AsyncSession, ids: Sequence[UUID]) -> Sequence[GroupWaitlistEntry]:
    statement = (
        select(GroupWaitlistEntry)
        .where(GroupWaitlistEntry.group_session_id.in_(ids), GroupWaitlistEntry.status == WAITING)
        .order_by(GroupWaitlistEntry.group_session_id, GroupWaitlistEntry.position)
    )
    return (await session.scalars(statement)).all()


async def seat_of(session: AsyncSession, group_session_id: UUID, person_id: UUID) -> GroupSeat | None:
    found = await session.scalar(
        select(GroupSeat).where(
            GroupSeat.group_session_id == group_session_id,
            GroupSeat.person_id == person_id,
            GroupSeat.status == BOOKED,
        )
    )
    return found


async def entry_of(
    session: AsyncSession, group_session_id: UUID, person_id: UUID
) -> GroupWaitlistEntry | None:
    found = await session.scalar(
        select(GroupWaitlistEntry).where(
            GroupWaitlistEntry.group_session_id == group_session_id,
            GroupWaitlistEntry.person_id == person_id,
            GroupWaitlistEntry.status == WAITING,
        )
    )
    return found


async def of_person_in(
    session: AsyncSession, ids: Sequence[UUID], person_id: UUID
) -> tuple[Sequence[GroupSeat], Sequence[GroupWaitlistEntry]]:
    """The person's booked seats and waitlist entries among these group sessions."""
    seats = await session.scalars(
        select(GroupSeat).where(
            GroupSeat.group_session_id.in_(ids), GroupSeat.person_id == person_id, GroupSeat.status == BOOKED
        )
    )
    entries = await session.scalars(
        select(GroupWaitlistEntry).where(
            GroupWaitlistEntry.group_session_id.in_(ids),
            GroupWaitlistEntry.person_id == person_id,
            GroupWaitlistEntry.status == WAITING,
        )
    )
    return seats.all(), entries.all()


async def rank_of(session: AsyncSession, entry: GroupWaitlistEntry) -> int:
    """The entry's place among those still waiting (1 first)."""
    ahead = await session.scalar(
        select(func.count()).where(
            GroupWaitlistEntry.group_session_id == entry.group_session_id,
            GroupWaitlistEntry.status == WAITING,
            GroupWaitlistEntry.position < entry.position,
        )
    )
    return int(ahead or 0) + 1


async def free_seat_no(session: AsyncSession, group: GroupSession) -> int | None:
    """The lowest seat number no booked seat holds; None when every seat is taken."""
    taken = select(GroupSeat.seat_no).where(
        GroupSeat.group_session_id == group.id, GroupSeat.status == BOOKED
    )
    number = func.generate_series(1, group.seat_limit).column_valued("n")
    found = await session.scalar(select(func.min(number)).where(number.not_in(taken)))
    return int(found) if found is not None else None


async def next_position(session: AsyncSession, group_session_id: UUID) -> int:
    last = await session.scalar(
        select(func.max(GroupWaitlistEntry.position)).where(
            GroupWaitlistEntry.group_session_id == group_session_id
        )
    )
    return int(last or 0) + 1


def hold_range(group: GroupSession) -> Range[datetime]:
    return Range(group.starts_at, group.ends_at, bounds="[)")


async def add_seat(session: AsyncSession, group: GroupSession, seat: GroupSeat) -> None:
    """Insert the seat and its hold on the person's time in one flush: the exclusion constraint on
    holds (and the seat constraints) are checked here."""

    async def write() -> None:
        session.add(seat)
        await session.flush([seat])
        session.add(
            SessionAttendee(
                group_session_id=group.id, seat_id=seat.id, person_id=seat.person_id, during=hold_range(group)
            )
        )
        await session.flush()

    await write_in_savepoint(session, write)


async def add_host_hold(session: AsyncSession, group: GroupSession, host: UUID) -> None:
    async def write() -> None:
        session.add(SessionAttendee(group_session_id=group.id, person_id=host, during=hold_range(group)))
        await session.flush()

    await write_in_savepoint(session, write)


async def release_holds_of_seat(session: AsyncSession, seat_id: UUID) -> None:
    await session.execute(
        update(SessionAttendee).where(SessionAttendee.seat_id == seat_id).values(cancelled=True)
    )


async def release_all_holds(session: AsyncSession, group_session_id: UUID) -> None:
    await session.execute(
        update(SessionAttendee)
        .where(SessionAttendee.group_session_id == group_session_id)
        .values(cancelled=True)
    )


async def close_waitlist(session: AsyncSession, group_session_id: UUID, *, at: datetime) -> None:
    await session.execute(
        update(GroupWaitlistEntry)
        .where(GroupWaitlistEntry.group_session_id == group_session_id, GroupWaitlistEntry.status == WAITING)
        .values(status="removed", closed_at=at)
        .execution_options(synchronize_session=False)
    )


async def upcoming_of_person(session: AsyncSession, person_id: UUID, now: datetime) -> list[UUID]:
    """Ids of scheduled group sessions not yet started where the person has a seat or waits."""
    seated = select(GroupSeat.group_session_id).where(
        GroupSeat.person_id == person_id, GroupSeat.status == BOOKED
    )
    waiting = select(GroupWaitlistEntry.group_session_id).where(
        GroupWaitlistEntry.person_id == person_id, GroupWaitlistEntry.status == WAITING
    )
    statement = (
        select(GroupSession.id)
        .where(
            GroupSession.status == "scheduled",
            GroupSession.starts_at > now,
            GroupSession.id.in_(seated.union(waiting)),
        )
        .order_by(GroupSession.id)  # one lock order for every caller: no deadlock between two of them
    )
    return list((await session.scalars(statement)).all())


async def upcoming_hosted_by(session: AsyncSession, person_id: UUID, now: datetime) -> list[UUID]:
    """Ids of scheduled group sessions not yet started that the person hosts."""
    statement = (
        select(GroupSession.id)
        .where(
            GroupSession.host_person_id == person_id,
            GroupSession.status == "scheduled",
            GroupSession.starts_at > now,
        )
        .order_by(GroupSession.id)  # the lock order of `upcoming_of_person`
    )
    return list((await session.scalars(statement)).all())


async def seats_of_person(session: AsyncSession, person_id: UUID) -> Sequence[GroupSeat]:
    statement = (
        select(GroupSeat).where(GroupSeat.person_id == person_id).order_by(GroupSeat.booked_at, GroupSeat.id)
    )
    return (await session.scalars(statement)).all()


async def entries_of_person(session: AsyncSession, person_id: UUID) -> Sequence[GroupWaitlistEntry]:
    statement = (
        select(GroupWaitlistEntry)
        .where(GroupWaitlistEntry.person_id == person_id)
        .order_by(GroupWaitlistEntry.created_at, GroupWaitlistEntry.id)
    )
    return (await session.scalars(statement)).all()


async def hosted_by(session: AsyncSession, person_id: UUID) -> Sequence[GroupSession]:
    statement = select(GroupSession).where(GroupSession.host_person_id == person_id).order_by(GroupSession.id)
    return (await session.scalars(statement)).all()


async def delete_person_rows(session: AsyncSession, person_id: UUID) -> int:
    """Delete the person's seats (their holds go with them) and waitlist entries; how many rows."""
    seats = await session.scalars(
        delete(GroupSeat).where(GroupSeat.person_id == person_id).returning(GroupSeat.id),
        execution_options={"synchronize_session": False},
    )
    entries = await session.scalars(
        delete(GroupWaitlistEntry)
        .where(GroupWaitlistEntry.person_id == person_id)
        .returning(GroupWaitlistEntry.id),
        execution_options={"synchronize_session": False},
    )
    return len(seats.all()) + len(entries.all())


async def rekey_host(session: AsyncSession, person_id: UUID, alias: UUID) -> None:
    await session.execute(
        update(GroupSession)
        .where(GroupSession.host_person_id == person_id)
        .values(host_person_id=alias)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(SessionAttendee)
        .where(SessionAttendee.person_id == person_id, SessionAttendee.group_session_id.is_not(None))
        .values(person_id=alias)
        .execution_options(synchronize_session=False)
    )
