from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import Select, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.pagination import PageParams, fetch_page
from tandem_scheduling.models import (
    AttendanceConflict,
    AttendanceMark,
    AttendanceStanding,
    AttendanceVendorReport,
    Engagement,
    Session,
)


async def lock_session(session: AsyncSession, session_id: UUID) -> Session | None:
    """The session row, locked: marks of one session are written one at a time (revisions in order)."""
    statement = (
        select(Session)
        .where(Session.id == session_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    found = await session.scalar(statement)
    return found


async def current_mark(session: AsyncSession, session_id: UUID) -> AttendanceMark | None:
    statement = (
        select(AttendanceMark)
        .where(AttendanceMark.session_id == session_id)
        .order_by(AttendanceMark.revision.desc())
        .limit(1)
    )
    found = await session.scalar(statement)
    return found


async def history(session: AsyncSession, session_id: UUID) -> Sequence[AttendanceMark]:
    """Every revision, oldest first (a handful per session at most)."""
    statement = (
        select(AttendanceMark)
        .where(AttendanceMark.session_id == session_id)
        .order_by(AttendanceMark.revision)
    )
    return (await session.scalars(statement)).all()


async def add_mark(session: AsyncSession, mark: AttendanceMark) -> AttendanceMark:
    session.add(mark)
    await session.flush()
    return mark


def current_outcomes_statement(engagement_ids: Sequence[UUID]) -> Select[tuple[UUID, UUID, str]]:
    """(engagement id, session id, current outcome) of each marked session of the engagements."""
    return (
        select(AttendanceMark.engagement_id, AttendanceMark.session_id, AttendanceMark.outcome)
        .where(AttendanceMark.engagement_id.in_(engagement_ids))
        .distinct(AttendanceMark.session_id)
        .order_by(AttendanceMark.session_id, AttendanceMark.revision.desc())
    )


async def current_outcomes(session: AsyncSession, engagement_ids: Sequence[UUID]) -> dict[UUID, list[str]]:
    grouped: dict[UUID, list[str]] = {i: [] for i in engagement_ids}
    for engagement_id, _session_id, outcome in (
        await session.execute(current_outcomes_statement(engagement_ids))
    ).all():
        grouped[engagement_id].append(outcome)
    return grouped


async def get_standing(session: AsyncSession, engagement_id: UUID) -> AttendanceStanding | None:
    found = await session.scalar(
        select(AttendanceStanding).where(AttendanceStanding.engagement_id == engagement_id).with_for_update()
    )
    return found


async def save_standing(
    session: AsyncSession, engagement_id: UUID, *, attended: int, due: int, flagged: bool, at: datetime
) -> None:
    statement = insert(AttendanceStanding).values(
        engagement_id=engagement_id, attended=attended, due=due, flagged=flagged, changed_at=at
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[AttendanceStanding.engagement_id],
            set_={"attended": attended, "due": due, "flagged": flagged, "changed_at": at},
        )
    )


async def get_vendor_report(session: AsyncSession, session_id: UUID) -> AttendanceVendorReport | None:
    found = await session.scalar(
        select(AttendanceVendorReport).where(AttendanceVendorReport.session_id == session_id)
    )
    return found


async def save_vendor_report(session: AsyncSession, report: AttendanceVendorReport) -> bool:
    """Keep the latest report per session (by `received_at`); False when a later one is stored."""
    values = {
        "session_id": report.session_id,
        "telemetry_id": report.telemetry_id,
        "vendor_id": report.vendor_id,
        "outcome": report.outcome,
        "occurred_at": report.occurred_at,
        "received_at": report.received_at,
    }
    statement = insert(AttendanceVendorReport).values(**values)
    result = await session.execute(
        statement.on_conflict_do_update(
            index_elements=[AttendanceVendorReport.session_id],
            set_=values,
            where=AttendanceVendorReport.received_at < statement.excluded.received_at,
        ).returning(AttendanceVendorReport.session_id)
    )
    return result.first() is not None


async def get_conflict(session: AsyncSession, session_id: UUID) -> AttendanceConflict | None:
    found = await session.scalar(
        select(AttendanceConflict)
        .where(AttendanceConflict.session_id == session_id)
        .execution_options(populate_existing=True)
    )
    return found


async def add_conflict(session: AsyncSession, conflict: AttendanceConflict) -> None:
    session.add(conflict)
    await session.flush()


async def page_open_conflicts(
    session: AsyncSession, program_id: UUID, page: PageParams
) -> tuple[Sequence[AttendanceConflict], int]:
    """A program's open conflicts, oldest first."""
    statement = (
        select(AttendanceConflict)
        .where(AttendanceConflict.program_id == program_id, AttendanceConflict.resolved_at.is_(None))
        .order_by(AttendanceConflict.opened_at, AttendanceConflict.session_id)
    )
    return await fetch_page(session, statement, page)


async def engagement_of(session: AsyncSession, engagement_id: UUID) -> Engagement | None:
    """For a consumer (no caller to check): the session's engagement."""
    found = await session.scalar(select(Engagement).where(Engagement.id == engagement_id))
    return found
