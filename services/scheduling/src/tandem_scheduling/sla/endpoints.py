from uuid import UUID

from fastapi import APIRouter

from tandem_kit.db import SessionDep
from tandem_kit.openapi import problems
from tandem_scheduling.auth import SchedulingRead
from tandem_scheduling.engagement.service import EngagementNotFound
from tandem_scheduling.sla import service
from tandem_scheduling.sla.schemas import SlaClock

router = APIRouter(prefix="/engagements/{engagement_id}", tags=["sla"])


@router.get("/sla-clocks", response_model=list[SlaClock], responses=problems(EngagementNotFound))
async def list_sla_clocks(
    engagement_id: UUID, principal: SchedulingRead, session: SessionDep
) -> list[SlaClock]:
    """List an engagement's SLA clocks: due, met, breached."""
    return [SlaClock.model_validate(c) for c in await service.list_clocks(session, principal, engagement_id)]
