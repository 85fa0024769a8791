from uuid import UUID

from fastapi import APIRouter, Query

from tandem_kit.db import SessionDep
from tandem_kit.openapi import problems
from tandem_kit.pagination import Page, PageQuery, page_of
from tandem_scheduling.auth import SchedulingRead
from tandem_scheduling.engagement import service
from tandem_scheduling.engagement.schemas import Engagement
from tandem_scheduling.engagement.service import EngagementNotFound

router = APIRouter(prefix="/engagements", tags=["engagements"])


@router.get("", response_model=Page[Engagement])
async def list_engagements(
    principal: SchedulingRead,
    session: SessionDep,
    page: PageQuery,
    participant_id: UUID | None = Query(default=None, description="Only this participant's engagements."),
) -> Page[Engagement]:
    """List the engagements the caller may see, newest first, one page at a time."""
    rows, total = await service.page_engagements(session, principal, page=page, participant_id=participant_id)
    return page_of(rows, total, page, Engagement.model_validate)


@router.get("/{engagement_id}", response_model=Engagement, responses=problems(EngagementNotFound))
async def get_engagement(engagement_id: UUID, principal: SchedulingRead, session: SessionDep) -> Engagement:
    """Get one engagement."""
    return Engagement.model_validate(await service.get_engagement(session, principal, engagement_id))
