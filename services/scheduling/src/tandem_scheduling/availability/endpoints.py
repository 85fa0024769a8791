from typing import Literal
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import AwareDatetime

from tandem_kit.db import SessionDep
from tandem_kit.openapi import problems
from tandem_scheduling.auth import SchedulingRead
from tandem_scheduling.availability import service
from tandem_scheduling.availability.schemas import SlotSearch
from tandem_scheduling.availability.service import InvalidSlotQuery
from tandem_scheduling.engagement.service import EngagementNotFound
from tandem_scheduling.gateway_client.dependencies import CalendarsDep

router = APIRouter(prefix="/engagements/{engagement_id}", tags=["availability"])


@router.get("/slots", response_model=SlotSearch, responses=problems(InvalidSlotQuery, EngagementNotFound))
async def find_slots(
    engagement_id: UUID,
    principal: SchedulingRead,
    session: SessionDep,
    calendars: CalendarsDep,
    start: AwareDatetime | None = Query(default=None, alias="from", description="Window start; default now."),
    end: AwareDatetime | None = Query(
        default=None, alias="to", description="Window end; default the kickoff due date, else two weeks."
    ),
    duration: int | None = Query(
        default=None, ge=15, le=240, description="Slot length in minutes (multiple of 15); default per kind."
    ),
    kind: Literal["kickoff", "regular"] = Query(
        default="kickoff", description="Session kind to size slots for."
    ),
    step: int = Query(default=30, ge=15, le=240, description="Grid between proposed starts, in minutes."),
    limit: int = Query(default=50, ge=1, le=500, description="Most slots to return."),
) -> SlotSearch:
    """Propose times inside both people's working hours, clear of their sessions and calendars."""
    return await service.find_slots(
        session,
        principal,
        engagement_id,
        calendars=calendars,
        start=start,
        end=end,
        duration_minutes=duration,
        kind=kind,
        step_minutes=step,
        limit=limit,
    )
