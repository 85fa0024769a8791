"""The attendance ledger: marks with revisions, vendor reconciliation, attendance per engagement."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.auth import Principal
from tandem_kit.errors import Conflict, Forbidden, Unprocessable
from tandem_kit.events import emit
from tandem_kit.pagination import PageParams
from tandem_scheduling.attendance import domain, hooks, repository, schemas

# Re-exported: the app, the consumer and the endpoints build and pass the policy under this name.
from tandem_scheduling.attendance.domain import AttendancePolicy as AttendancePolicy
from tandem_scheduling.attendance.schemas import AttendanceMarkCreate, VendorSessionReported
from tandem_scheduling.engagement import service as engagement_service
from tandem_scheduling.events import EngagementAttendanceFlagged, SessionAttended, SessionMissed
from tandem_scheduling.models import (
    AttendanceConflict,
    AttendanceMark,
    AttendanceVendorReport,
    Engagement,
    Session,
)
from tandem_scheduling.session import repository as session_repository
from tandem_scheduling.session.service import SessionNotFound

log = structlog.get_logger("tandem.scheduling.attendance")


class SessionNotStarted(Conflict):
    """A session is marked once it has started, never before."""

    code, title = "session-not-started", "Session not started"


class CancelledSessionOutcome(Conflict):
    """A cancelled session was not held: only `cancelled_late` or `rescheduled`."""

    code, title = "cancelled-session-outcome", "Outcome not possible for a cancelled session"


class CorrectionNeedsReason(Unprocessable):
    code, title = "correction-needs-reason", "A correction needs a reason"


class NotAParty(Forbidden):
    code, title = "not-a-party", "Only the parties or a program manager mark attendance"


class ProgramManagersOnly(Forbidden):
    code, title = "program-managers-only", "Only program managers"


@dataclass(frozen=True)
class AttendanceView:
    session_id: UUID
    engagement_id: UUID
    mark: AttendanceMark | None
    conflict: AttendanceConflict | None


async def _readable_session(session: AsyncSession, principal: Principal, session_id: UUID) -> Session:
    found = await session_repository.list_readable_by_ids(session, principal, [session_id])
    if not found:
        raise SessionNotFound(f"No session {session_id} that you may see.")
    return found[0]


async def _view(session: AsyncSession, row: Session) -> AttendanceView:
    conflict = await repository.get_conflict(session, row.id)
    return AttendanceView(
        session_id=row.id,
        engagement_id=row.engagement_id,
        mark=await repository.current_mark(session, row.id),
        conflict=conflict if conflict is not None and conflict.resolved_at is None else None,
    )


async def get_attendance(session: AsyncSession, principal: Principal, session_id: UUID) -> AttendanceView:
    return await _view(session, await _readable_session(session, principal, session_id))


async def get_history(
    session: AsyncSession, principal: Principal, session_id: UUID
) -> Sequence[AttendanceMark]:
    row = await _readable_session(session, principal, session_id)
    return await repository.history(session, row.id)


async def record(
    session: AsyncSession,
    principal: Principal,
    session_id: UUID,
    data: AttendanceMarkCreate,
    *,
    policy: AttendancePolicy,
    now: datetime | None = None,
) -> AttendanceView:
    """Mark a session that has started, or correct its mark (with a reason). The same outcome again
    changes nothing (no revision, no event); a program manager's repeat confirms it against an open
    vendor conflict."""
    now = now or datetime.now(UTC)
    readable = await _readable_session(session, principal, session_id)
    engagement = await engagement_service.get_engagement(session, principal, readable.engagement_id)
    role = domain.role_of(
        principal.person_uuid,
        supervises=principal.supervises,
        participant_id=engagement.participant_id,
        provider_person_id=engagement.provider_person_id,
    )
    if role is None:
        raise NotAParty("Mark with the token of the participant, the coach or mentor, or a program manager.")
    row = await repository.lock_session(session, readable.id)
    assert row is not None  # read above, and sessions are never deleted while their engagement lives
    if now < row.starts_at:
        raise SessionNotStarted(
            f"Session {row.id} starts at {row.starts_at.isoformat()}; mark it once it has started.",
            pointer="#/outcome",
            rule="session-not-started",
        )
    if row.status == "cancelled" and not domain.allowed_on_cancelled(data.outcome):
        raise CancelledSessionOutcome(
            f"Session {row.id} was cancelled: mark it `cancelled_late` or `rescheduled`.",
            pointer="#/outcome",
            rule="cancelled-session-outcome",
        )
    current = await repository.current_mark(session, row.id)
    if current is not None and current.outcome == data.outcome:
        if role == "program_manager":
            await _settle_conflict(
                session, row.id, resolution="confirmed", by=principal.person_id or principal.subject, now=now
            )
        return await _view(session, row)
    if current is not None and current.recorded_by_role != "vendor" and data.reason is None:
        raise CorrectionNeedsReason(
            f"Session {row.id} is marked `{current.outcome}` (revision {current.revision}); send a reason "
            "to correct it.",
            pointer="#/reason",
        )
    mark = await _write_mark(
        session,
        engagement,
        row,
        data.outcome,
        revision=(current.revision + 1) if current else 1,
        by=principal.person_id or principal.subject,
        role=role,
        reason=data.reason,
        policy=policy,
        now=now,
    )
    await _reconcile_after_mark(session, engagement, row, mark, now=now)
    return await _view(session, row)


async def _write_mark(
    session: AsyncSession,
    engagement: Engagement,
    row: Session,
    outcome: str,
    *,
    revision: int,
    by: str,
    role: domain.Role,
    reason: str | None,
    policy: AttendancePolicy,
    now: datetime,
) -> AttendanceMark:
    """Add the revision, announce it, update the engagement's standing, then call the hooks."""
    mark = await repository.add_mark(
        session,
        AttendanceMark(
            session_id=row.id,
            engagement_id=engagement.id,
            revision=revision,
            outcome=outcome,
            recorded_by=by,
            recorded_by_role=role,
            reason=reason,
            recorded_at=now,
        ),
    )
    common = {
        "session_id": row.id,
        "engagement_id": engagement.id,
        "match_id": engagement.match_id,
        "program_id": engagement.program_id,
        "participant_id": engagement.participant_id,
        "provider_person_id": engagement.provider_person_id,
        "kind": row.kind,
        "starts_at": row.starts_at,
        "revision": revision,
        "recorded_by_role": role,
    }
    if outcome == "attended":
        await emit(session, SessionAttended(attended_at=now, **common))
    else:
        await emit(session, SessionMissed(outcome=outcome, recorded_at=now, **common))  # type: ignore[arg-type]
    log.info(
        "scheduling.attendance.recorded",
        session_id=str(row.id),
        outcome=outcome,
        revision=revision,
        role=role,
    )
    await _update_standing(session, engagement, policy=policy, now=now)
    await hooks.on_recorded(session, engagement.id, row, outcome, now, policy)
    return mark


async def _update_standing(
    session: AsyncSession, engagement: Engagement, *, policy: AttendancePolicy, now: datetime
) -> domain.Standing:
    """Recount the engagement's attendance; announce a crossing of the floor, either way. The standing
    row is locked before the count, so a concurrent mark's recount waits and then sees this one."""
    saved = await repository.lock_standing(session, engagement.id, now)
    outcomes = (await repository.current_outcomes(session, [engagement.id]))[engagement.id]
    standing = domain.standing(outcomes, floor=policy.floor, min_outcomes=policy.min_outcomes)
    crossed = standing.flagged != saved.flagged
    saved.attended, saved.due, saved.flagged = standing.attended, standing.due, standing.flagged
    if crossed:
        saved.changed_at = now
    await session.flush()
    if crossed:
        await emit(
            session,
            EngagementAttendanceFlagged(
                engagement_id=engagement.id,
                match_id=engagement.match_id,
                program_id=engagement.program_id,
                participant_id=engagement.participant_id,
                attended=standing.attended,
                due=standing.due,
                rate=standing.rate or 0.0,
                floor=policy.floor,
                flagged=standing.flagged,
                changed_at=now,
            ),
        )
        log.info("scheduling.attendance.flagged", engagement_id=str(engagement.id), flagged=standing.flagged)
    return standing


async def _settle_conflict(
    session: AsyncSession, session_id: UUID, *, resolution: str, by: str, now: datetime
) -> None:
    conflict = await repository.get_conflict(session, session_id)
    if conflict is not None and conflict.resolved_at is None:
        conflict.resolved_at, conflict.resolved_by, conflict.resolution = now, by, resolution
        await session.flush()


async def _open_conflict(
    session: AsyncSession,
    engagement: Engagement,
    row: Session,
    report: AttendanceVendorReport,
    ledger_outcome: str | None,
    *,
    now: datetime,
) -> None:
    conflict = await repository.get_conflict(session, row.id)
    if conflict is None:
        await repository.add_conflict(
            session,
            AttendanceConflict(
                session_id=row.id,
                engagement_id=engagement.id,
                program_id=engagement.program_id,
                vendor_outcome=report.outcome,
                ledger_outcome=ledger_outcome,
                reported_at=report.received_at,
                opened_at=now,
            ),
        )
    else:
        conflict.vendor_outcome, conflict.ledger_outcome = report.outcome, ledger_outcome
        conflict.reported_at = report.received_at
        if conflict.resolved_at is not None:
            conflict.opened_at = now
        conflict.resolved_at = conflict.resolved_by = conflict.resolution = None
        await session.flush()
    log.warning("scheduling.attendance.conflict", session_id=str(row.id), vendor=report.outcome)


async def _reconcile_after_mark(
    session: AsyncSession, engagement: Engagement, row: Session, mark: AttendanceMark, *, now: datetime
) -> None:
    """A new party mark against the vendor's report: agreement (or a program manager's word) settles
    a conflict; a party disagreeing with the vendor opens one."""
    report = await repository.get_vendor_report(session, row.id)
    if report is None:
        return
    if domain.agrees(report.outcome, mark.outcome):  # type: ignore[arg-type]
        await _settle_conflict(session, row.id, resolution="agreed", by=mark.recorded_by, now=now)
    elif mark.recorded_by_role == "program_manager":
        await _settle_conflict(session, row.id, resolution="corrected", by=mark.recorded_by, now=now)
    else:
        await _open_conflict(session, engagement, row, report, mark.outcome, now=now)


async def reconcile_vendor_report(
    session: AsyncSession, data: VendorSessionReported, *, policy: AttendancePolicy, now: datetime
) -> None:
    """A vendor's report of a session: the mark when nobody marked it, else compared with the mark
    (a disagreement with a party's mark is a visible conflict, never an overwrite)."""
    row = await repository.lock_session(session, data.session_id)
    if row is None:
        log.warning("scheduling.attendance.vendor_unknown_session", session_id=str(data.session_id))
        return
    report = AttendanceVendorReport(
        session_id=row.id,
        telemetry_id=data.telemetry_id,
        vendor_id=data.vendor_id,
        outcome=data.outcome,
        occurred_at=data.occurred_at,
        received_at=data.received_at,
    )
    if not await repository.save_vendor_report(session, report):
        return  # an older report than the one kept
    engagement = await repository.engagement_of(session, row.engagement_id)
    assert engagement is not None  # a session's engagement is deleted with it
    current = await repository.current_mark(session, row.id)
    proposed = domain.vendor_mark(data.outcome)
    if current is None or current.recorded_by_role == "vendor":
        if current is not None and current.outcome == proposed:
            return
        if row.status == "cancelled" and not domain.allowed_on_cancelled(proposed):
            await _open_conflict(session, engagement, row, report, None, now=now)
            return
        await _write_mark(
            session,
            engagement,
            row,
            proposed,
            revision=(current.revision + 1) if current else 1,
            by=f"vendor:{data.vendor_id}",
            role="vendor",
            reason=None,
            policy=policy,
            now=now,
        )
        return
    if domain.agrees(data.outcome, current.outcome):
        await _settle_conflict(session, row.id, resolution="agreed", by=f"vendor:{data.vendor_id}", now=now)
        return
    existing = await repository.get_conflict(session, row.id)
    if (
        existing is not None
        and existing.resolved_at is not None
        and existing.vendor_outcome == data.outcome
        and existing.ledger_outcome == current.outcome
    ):
        return  # a program manager already settled this very disagreement
    await _open_conflict(session, engagement, row, report, current.outcome, now=now)


async def engagement_attendance(
    session: AsyncSession, principal: Principal, engagement_id: UUID, *, policy: AttendancePolicy
) -> tuple[UUID, domain.Standing]:
    engagement = await engagement_service.get_engagement(session, principal, engagement_id)
    return engagement.id, (await standings(session, [engagement.id], policy=policy))[engagement.id]


async def standings(
    session: AsyncSession, engagement_ids: Sequence[UUID], *, policy: AttendancePolicy
) -> dict[UUID, domain.Standing]:
    """Attendance of readable engagements (callers pass only ids they may see), one query."""
    outcomes = await repository.current_outcomes(session, engagement_ids)
    return {
        i: domain.standing(outcomes[i], floor=policy.floor, min_outcomes=policy.min_outcomes)
        for i in engagement_ids
    }


async def page_open_conflicts(
    session: AsyncSession, principal: Principal, program_id: UUID, *, page: PageParams
) -> tuple[Sequence[AttendanceConflict], int]:
    """A program's open attendance conflicts, for program managers (and machine clients)."""
    if not principal.sees_everything:
        raise ProgramManagersOnly("Only program managers see a program's attendance conflicts.")
    return await repository.page_open_conflicts(session, program_id, page)


def to_schema(view: AttendanceView) -> schemas.Attendance:
    return schemas.Attendance(
        session_id=view.session_id,
        engagement_id=view.engagement_id,
        mark=schemas.AttendanceMark.model_validate(view.mark) if view.mark else None,
        conflict=schemas.AttendanceConflict.model_validate(view.conflict) if view.conflict else None,
    )


def standing_schema(engagement_id: UUID, standing: domain.Standing) -> schemas.EngagementAttendance:
    return schemas.EngagementAttendance(
        engagement_id=engagement_id,
        attended=standing.attended,
        due=standing.due,
        rate=standing.rate,
        floor=standing.floor,
        min_outcomes=standing.min_outcomes,
        flagged=standing.flagged,
    )
