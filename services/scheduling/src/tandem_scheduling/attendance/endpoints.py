from uuid import UUID

from fastapi import APIRouter

from tandem_kit.db import SessionDep
from tandem_kit.openapi import problems
from tandem_kit.pagination import Page, PageQuery, page_of
from tandem_scheduling.attendance import service
from tandem_scheduling.attendance.dependencies import PolicyDep
from tandem_scheduling.attendance.schemas import (
    Attendance,
    AttendanceMark,
    AttendanceMarkCreate,
    EngagementAttendance,
    OpenConflict,
)
from tandem_scheduling.attendance.service import (
    CancelledSessionOutcome,
    CorrectionNeedsReason,
    NotAParty,
    ProgramManagersOnly,
    SessionNotStarted,
)
from tandem_scheduling.auth import SchedulingRead, SchedulingWrite
from tandem_scheduling.engagement.service import EngagementNotFound
from tandem_scheduling.session.service import SessionNotFound

router = APIRouter(tags=["attendance"])


@router.get(
    "/sessions/{session_id}/attendance", response_model=Attendance, responses=problems(SessionNotFound)
)
async def get_attendance(session_id: UUID, principal: SchedulingRead, session: SessionDep) -> Attendance:
    """Get a session's current attendance mark and any open conflict with the vendor's report."""
    return service.to_schema(await service.get_attendance(session, principal, session_id))


@router.put(
    "/sessions/{session_id}/attendance",
    response_model=Attendance,
    responses=problems(
        CancelledSessionOutcome, CorrectionNeedsReason, NotAParty, SessionNotFound, SessionNotStarted
    ),
)
async def record_attendance(
    session_id: UUID,
    data: AttendanceMarkCreate,
    principal: SchedulingWrite,
    session: SessionDep,
    policy: PolicyDep,
) -> Attendance:
    """Mark how a session ended, or correct the mark with a reason; the same mark again changes nothing."""
    return service.to_schema(await service.record(session, principal, session_id, data, policy=policy))


@router.get(
    "/sessions/{session_id}/attendance/history",
    response_model=list[AttendanceMark],
    responses=problems(SessionNotFound),
)
async def list_attendance_history(
    session_id: UUID, principal: SchedulingRead, session: SessionDep
) -> list[AttendanceMark]:
    """List every revision of a session's mark, oldest first: who, when, in which role, and why."""
    return [
        AttendanceMark.model_validate(m) for m in await service.get_history(session, principal, session_id)
    ]


@router.get(
    "/engagements/{engagement_id}/attendance",
    response_model=EngagementAttendance,
    responses=problems(EngagementNotFound),
)
async def get_engagement_attendance(
    engagement_id: UUID, principal: SchedulingRead, session: SessionDep, policy: PolicyDep
) -> EngagementAttendance:
    """Get an engagement's attendance rate against the floor, and whether it is flagged."""
    engagement_id, standing = await service.engagement_attendance(
        session, principal, engagement_id, policy=policy
    )
    return service.standing_schema(engagement_id, standing)


@router.get(
    "/programs/{program_id}/attendance-conflicts",
    response_model=Page[OpenConflict],
    responses=problems(ProgramManagersOnly),
)
async def list_attendance_conflicts(
    program_id: UUID, principal: SchedulingRead, session: SessionDep, page: PageQuery
) -> Page[OpenConflict]:
    """List a program's open conflicts between marks and vendor reports (program managers), oldest first."""
    rows, total = await service.page_open_conflicts(session, principal, program_id, page=page)
    return page_of(rows, total, page, OpenConflict.model_validate)
