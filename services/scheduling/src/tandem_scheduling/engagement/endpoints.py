from uuid import UUID

from fastapi import APIRouter, Query

from tandem_kit.db import SessionDep
from tandem_scheduling.engagement import service
from tandem_scheduling.engagement.auth import SchedulingRead
from tandem_scheduling.engagement.schemas import Engagement

router = APIRouter(prefix="/engagements", tags=["engagements"])


@router.get("", response_model=list[Engagement])
async def list_engagements(
    principal: SchedulingRead,
    session: SessionDep,
    participant_id: UUID | None = Query(default=None, description="Only this participant's engagements."),
    limit: int = Query(default=50, ge=1, le=200, description="Page size."),
    offset: int = Query(default=0, ge=0, description="Rows to skip."),
) -> list[Engagement]:
    """List the engagements the caller may see, newest first."""
    rows = await service.list_engagements(
        session, principal, participant_id=participant_id, limit=limit, offset=offset
    )
    return [Engagement.model_validate(e) for e in rows]


@router.get("/{engagement_id}", response_model=Engagement)
async def get_engagement(engagement_id: UUID, principal: SchedulingRead, session: SessionDep) -> Engagement:
    """Get one engagement."""
    return Engagement.model_validate(await service.get_engagement(session, principal, engagement_id))
