from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import Interval, Select, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_scheduling.models import (
    AttendanceMark,
    Engagement,
    Session,
    SessionAttendee,
    SessionConflict,
    SlaClock,
    WorkingAgreement,
)

# Bulk statements over rows this session never loaded: nothing in the identity map to keep in step.
NO_SYNC = {"synchronize_session": False}


async def engagements_of(
    session: AsyncSession, person_id: UUID, *, for_update: bool = False
) -> Sequence[Engagement]:
    """Every engagement the person is party to, as participant or as provider."""
    statement = (
        select(Engagement)
        .where(or_(Engagement.participant_id == person_id, Engagement.provider_person_id == person_id))
        .order_by(Engagement.created_at, Engagement.id)
    )
    if for_update:
        statement = statement.with_for_update()
    return (await session.scalars(statement)).all()


async def holds_of(session: AsyncSession, person_id: UUID) -> Sequence[SessionAttendee]:
    statement = (
        select(SessionAttendee)
        .where(SessionAttendee.person_id == person_id)
        .order_by(func.lower(SessionAttendee.during), SessionAttendee.session_id)
    )
    return (await session.scalars(statement)).all()


async def conflicts_of(session: AsyncSession, person_id: UUID) -> Sequence[SessionConflict]:
    statement = (
        select(SessionConflict)
        .where(SessionConflict.person_id == person_id)
        .order_by(SessionConflict.busy_start, SessionConflict.session_id)
    )
    return (await session.scalars(statement)).all()


async def delete_conflicts_of(session: AsyncSession, person_id: UUID) -> None:
    await session.execute(
        delete(SessionConflict).where(SessionConflict.person_id == person_id).execution_options(**NO_SYNC)
    )


async def agreements_of(session: AsyncSession, engagement_ids: Sequence[UUID]) -> Sequence[WorkingAgreement]:
    statement = (
        select(WorkingAgreement)
        .where(WorkingAgreement.engagement_id.in_(engagement_ids))
        .order_by(WorkingAgreement.engagement_id)
    )
    return (await session.scalars(statement)).all()


async def clocks_of(session: AsyncSession, engagement_ids: Sequence[UUID]) -> Sequence[SlaClock]:
    statement = (
        select(SlaClock)
        .where(SlaClock.engagement_id.in_(engagement_ids))
        .order_by(SlaClock.engagement_id, SlaClock.due_at, SlaClock.id)
    )
    return (await session.scalars(statement)).all()


async def rekey_holds(session: AsyncSession, person_id: UUID, alias: UUID) -> None:
    """Put `alias` in place of the person in every hold.

    The exclusion constraint stays satisfied: the person's live holds never overlapped, and the alias
    is new, so the same ranges under the alias cannot collide with anyone.
    """
    await session.execute(
        update(SessionAttendee)
        .where(SessionAttendee.person_id == person_id)
        .values(person_id=alias)
        .execution_options(synchronize_session=False)
    )


def ended_before(cutoff: datetime) -> Select[tuple[UUID]]:
    """Ids of the engagements that ended before `cutoff`.

    An engagement ended at its `ended_at` (its match ended, or an erasure ended it). One without it
    (still active, or ended by an erasure before the end was recorded) ended at its last sign of life:
    the latest of its planned end (`approved_at` + `planned_months`), its last session (the end of a
    held one, the cancellation of a cancelled one) and the last change or signature of its working
    agreement; an active one still inside its plan or recently used has not ended.
    """
    last_session = (
        select(func.max(func.least(Session.ends_at, Session.cancelled_at)))
        .where(Session.engagement_id == Engagement.id)
        .scalar_subquery()
    )
    planned_end = Engagement.approved_at + func.make_interval(0, Engagement.planned_months, type_=Interval)
    last_sign_of_life = func.greatest(
        planned_end,
        last_session,
        WorkingAgreement.updated_at,
        WorkingAgreement.participant_signed_at,
        WorkingAgreement.provider_signed_at,
    )
    ended_at = func.coalesce(Engagement.ended_at, last_sign_of_life)
    return (
        select(Engagement.id)
        .outerjoin(WorkingAgreement, WorkingAgreement.engagement_id == Engagement.id)
        .where(ended_at < cutoff)
    )


async def clear_cancel_reasons(session: AsyncSession, engagements: Select[tuple[UUID]]) -> int:
    """Drop the free-text cancel reasons of these engagements' sessions; how many sessions had one."""
    result = await session.scalars(
        update(Session)
        .where(Session.engagement_id.in_(engagements), Session.cancel_reason.is_not(None))
        .values(cancel_reason=None)
        .returning(Session.id),
        execution_options=NO_SYNC,
    )
    return len(result.all())


async def delete_agreements_of(
    session: AsyncSession, engagements: Select[tuple[UUID]] | Sequence[UUID]
) -> int:
    result = await session.scalars(
        delete(WorkingAgreement)
        .where(WorkingAgreement.engagement_id.in_(engagements))
        .returning(WorkingAgreement.id),
        execution_options=NO_SYNC,
    )
    return len(result.all())


async def redact_agreements_of(
    session: AsyncSession, engagements: Select[tuple[UUID]], clauses: dict[str, str], by: str
) -> int:
    """Replace the clause text and the author of these engagements' agreements; versions, signatures
    and times stay. Agreements already redacted are left alone, so a repeated run touches nothing."""
    result = await session.scalars(
        update(WorkingAgreement)
        .where(WorkingAgreement.engagement_id.in_(engagements), WorkingAgreement.clauses != clauses)
        .values(clauses=clauses, updated_by=by)
        .returning(WorkingAgreement.id),
        execution_options=NO_SYNC,
    )
    return len(result.all())


async def marks_of(session: AsyncSession, engagement_ids: Sequence[UUID]) -> Sequence[AttendanceMark]:
    """Every attendance revision of these engagements' sessions."""
    statement = (
        select(AttendanceMark)
        .where(AttendanceMark.engagement_id.in_(engagement_ids))
        .order_by(AttendanceMark.session_id, AttendanceMark.revision)
    )
    return (await session.scalars(statement)).all()


async def clear_attendance_reasons(session: AsyncSession, engagements: Select[tuple[UUID]]) -> int:
    """Drop the free-text correction reasons of these engagements' attendance marks; how many had one."""
    result = await session.scalars(
        update(AttendanceMark)
        .where(AttendanceMark.engagement_id.in_(engagements), AttendanceMark.reason.is_not(None))
        .values(reason=None)
        .returning(AttendanceMark.id),
        execution_options=NO_SYNC,
    )
    return len(result.all())
