from datetime import UTC, datetime
from uuid import UUID

from fastapi import APIRouter, Response, status

from tandem_kit.db import SessionDep
from tandem_kit.openapi import problems
from tandem_kit.pagination import Page, PageQuery, page_of
from tandem_scheduling.agreement.service import AgreementNotSigned
from tandem_scheduling.auth import SchedulingRead, SchedulingWrite
from tandem_scheduling.engagement.service import EngagementNotFound
from tandem_scheduling.gateway_client.dependencies import CalendarsDep
from tandem_scheduling.session import service
from tandem_scheduling.session.schemas import Session, SessionCancel, SessionCreate
from tandem_scheduling.session.service import (
    CalendarBusy,
    CalendarUnverified,
    EngagementNotActive,
    InvalidSessionTime,
    KickoffAlreadyBooked,
    OutsideWorkingHours,
    PersonDeactivated,
    SessionAlreadyCancelled,
    SessionNotFound,
    SlotTaken,
)

router = APIRouter(prefix="/engagements/{engagement_id}", tags=["sessions"])


@router.get("/sessions", response_model=Page[Session], responses=problems(EngagementNotFound))
async def list_sessions(
    engagement_id: UUID, principal: SchedulingRead, session: SessionDep, page: PageQuery
) -> Page[Session]:
    """List an engagement's sessions (cancelled ones included), earliest first, one page at a time."""
    rows, total = await service.page_sessions(session, principal, engagement_id, page=page)
    return page_of(rows, total, page, Session.model_validate)


@router.post(
    "/sessions",
    response_model=Session,
    status_code=status.HTTP_201_CREATED,
    responses=problems(
        AgreementNotSigned,
        CalendarBusy,
        CalendarUnverified,
        EngagementNotFound,
        EngagementNotActive,
        InvalidSessionTime,
        KickoffAlreadyBooked,
        OutsideWorkingHours,
        PersonDeactivated,
        SlotTaken,
    ),
)
async def book_session(
    engagement_id: UUID,
    data: SessionCreate,
    principal: SchedulingWrite,
    session: SessionDep,
    calendars: CalendarsDep,
) -> Session:
    """Book a session; 409 when either person already has a session or a meeting at that time."""
    return Session.model_validate(
        await service.book_session(session, principal, engagement_id, data, calendars=calendars)
    )


@router.post(
    "/sessions/{session_id}/cancel",
    response_model=Session,
    responses=problems(EngagementNotFound, SessionAlreadyCancelled, SessionNotFound),
)
async def cancel_session(
    engagement_id: UUID,
    session_id: UUID,
    data: SessionCancel,
    principal: SchedulingWrite,
    session: SessionDep,
) -> Session:
    """Cancel a booked session and free its time."""
    return Session.model_validate(
        await service.cancel_session(session, principal, engagement_id, session_id, data)
    )


@router.get(
    "/sessions.ics",
    response_class=Response,
    responses={
        200: {"content": {"text/calendar": {}}, "description": "RFC 5545 calendar."},
        **problems(EngagementNotFound),
    },
)
async def export_sessions(engagement_id: UUID, principal: SchedulingRead, session: SessionDep) -> Response:
    """Export an engagement's sessions as an iCalendar (RFC 5545) file."""
    body, filename = await service.export_calendar(session, principal, engagement_id, now=datetime.now(UTC))
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
