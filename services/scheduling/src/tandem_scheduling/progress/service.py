from collections.abc import Sequence
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.auth import Principal
from tandem_kit.errors import Conflict, NotFound
from tandem_scheduling.attendance import repository as attendance_repository
from tandem_scheduling.cadence import domain, repository
from tandem_scheduling.engagement import service as engagement_service
from tandem_scheduling.models import Checkpoint as CheckpointRow
from tandem_scheduling.models import SlaClock
from tandem_scheduling.progress.schemas import Cadence, Checkpoint, CheckpointSession
from tandem_scheduling.session import repository as session_repository
from tandem_scheduling.session.service import SessionNotFound
from tandem_scheduling.sla import repository as sla_repository


class CheckpointNotFound(NotFound):
    code, title = "checkpoint-not-found", "Checkpoint not found"


class CheckpointAlreadyHeld(Conflict):
    code, title = "checkpoint-already-held", "Checkpoint already held"


async def get_cadence(session: AsyncSession, principal: Principal, engagement_id: UUID) -> Cadence:
    """Planned sessions against booked and held ones, and the checkpoints."""
    engagement = await engagement_service.get_engagement(session, principal, engagement_id)
    planned = domain.planned_sessions(engagement.provider_kind, engagement.track)
    outcomes = (await attendance_repository.current_outcomes(session, [engagement.id]))[engagement.id]
    return Cadence(
        engagement_id=engagement.id,
        layer=domain.layer_of(engagement.provider_kind),
        planned_sessions_low=planned.low,
        planned_sessions_high=planned.high,
        booked=await repository.booked_count(session, engagement.id),
        held=sum(o == "attended" for o in outcomes),
        review_every_weeks=engagement.review_every_weeks,
        checkpoints=[
            Checkpoint.model_validate(c) for c in await repository.list_for_engagement(session, engagement.id)
        ],
    )


async def mark_checkpoint_session(
    session: AsyncSession,
    principal: Principal,
    engagement_id: UUID,
    checkpoint_id: UUID,
    data: CheckpointSession,
) -> CheckpointRow:
    """A regular session stands for the checkpoint: holding it holds the checkpoint."""
    engagement = await engagement_service.get_engagement(session, principal, engagement_id)
    checkpoint = await repository.get_in_engagement(session, engagement.id, checkpoint_id, for_update=True)
    if checkpoint is None:
        raise CheckpointNotFound(f"No checkpoint {checkpoint_id} in engagement {engagement.id}.")
    if checkpoint.held_at is not None:
        raise CheckpointAlreadyHeld(
            f"Checkpoint {checkpoint.id} was held at {checkpoint.held_at.isoformat()}."
        )
    booked = await session_repository.get_in_engagement(session, engagement.id, data.session_id)
    if booked is None:
        raise SessionNotFound(
            f"No session {data.session_id} in engagement {engagement.id}.", pointer="#/session_id"
        )
    checkpoint.session_id = booked.id
    await session.flush()
    return checkpoint


async def list_clocks(session: AsyncSession, principal: Principal, engagement_id: UUID) -> Sequence[SlaClock]:
    engagement = await engagement_service.get_engagement(session, principal, engagement_id)
    return await sla_repository.list_for_engagement(session, engagement.id)
