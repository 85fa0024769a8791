from uuid import UUID

from fastapi import APIRouter

from tandem_kit.db import SessionDep
from tandem_kit.openapi import problems
from tandem_scheduling.auth import SchedulingRead, SchedulingWrite
from tandem_scheduling.engagement.service import EngagementNotFound
from tandem_scheduling.progress import service
from tandem_scheduling.progress.schemas import Cadence, Checkpoint, CheckpointSession
from tandem_scheduling.progress.service import CheckpointAlreadyHeld, CheckpointNotFound
from tandem_scheduling.session.service import SessionNotFound
from tandem_scheduling.sla.schemas import SlaClock

router = APIRouter(prefix="/engagements/{engagement_id}", tags=["progress"])


@router.get("/sla-clocks", response_model=list[SlaClock], responses=problems(EngagementNotFound))
async def list_sla_clocks(
    engagement_id: UUID, principal: SchedulingRead, session: SessionDep
) -> list[SlaClock]:
    """List an engagement's SLA clocks: due, met, breached."""
    return [SlaClock.model_validate(c) for c in await service.list_clocks(session, principal, engagement_id)]


@router.get("/cadence", response_model=Cadence, responses=problems(EngagementNotFound))
async def get_cadence(engagement_id: UUID, principal: SchedulingRead, session: SessionDep) -> Cadence:
    """Get an engagement's cadence: planned, booked and held sessions, and its checkpoints."""
    return await service.get_cadence(session, principal, engagement_id)


@router.put(
    "/checkpoints/{checkpoint_id}/session",
    response_model=Checkpoint,
    responses=problems(EngagementNotFound, CheckpointNotFound, CheckpointAlreadyHeld, SessionNotFound),
)
async def mark_checkpoint_session(
    engagement_id: UUID,
    checkpoint_id: UUID,
    data: CheckpointSession,
    principal: SchedulingWrite,
    session: SessionDep,
) -> Checkpoint:
    """Mark a session as the checkpoint: once it is recorded attended, the checkpoint is held."""
    return Checkpoint.model_validate(
        await service.mark_checkpoint_session(session, principal, engagement_id, checkpoint_id, data)
    )
