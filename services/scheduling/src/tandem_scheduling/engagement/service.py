from collections.abc import Sequence
from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.auth import Principal
from tandem_kit.errors import NotFound
from tandem_kit.events import emit
from tandem_kit.pagination import PageParams
from tandem_scheduling.engagement import domain, repository
from tandem_scheduling.engagement.schemas import MatchApproved
from tandem_scheduling.events import EngagementCreated
from tandem_scheduling.models import Engagement
from tandem_scheduling.sla import clocks as sla_clocks

log = structlog.get_logger("tandem.scheduling.engagement")


class EngagementNotFound(NotFound):
    code, title = "engagement-not-found", "Engagement not found"


async def page_engagements(
    session: AsyncSession, principal: Principal, *, page: PageParams, participant_id: UUID | None = None
) -> tuple[Sequence[Engagement], int]:
    """One page of the engagements the caller may see (newest first) and their total."""
    return await repository.page_readable(session, principal, page, participant_id=participant_id)


async def get_engagement(
    session: AsyncSession,
    principal: Principal,
    engagement_id: UUID,
    *,
    for_update: bool = False,
    for_share: bool = False,
) -> Engagement:
    if for_update:
        engagement = await repository.get_readable_for_update(session, principal, engagement_id)
    elif for_share:
        engagement = await repository.get_readable_for_share(session, principal, engagement_id)
    else:
        engagement = await repository.get_readable(session, principal, engagement_id)
    if engagement is None:
        raise EngagementNotFound(f"No engagement {engagement_id} that you may see.")
    return engagement


async def create_from_match(session: AsyncSession, data: MatchApproved) -> Engagement | None:
    """Open the engagement of an approved match, with its SLA clocks and checkpoints; a repeated match is a no-op,
    and a match that already ended (its `MatchEnded` came first) opens nothing."""
    await repository.lock_match(session, data.match_id)
    existing = await repository.get_by_match_id(session, data.match_id)
    if existing is not None:
        return existing
    if await repository.match_ended(session, data.match_id):
        log.info("scheduling.engagement.approved_after_end", match_id=str(data.match_id))
        return None
    cadence = domain.cadence_for(data.provider_kind, data.track)
    engagement = Engagement(
        match_id=data.match_id,
        program_id=data.program_id,
        participant_id=data.participant_id,
        provider_id=data.provider_id,
        provider_person_id=data.provider_person_id,
        provider_kind=data.provider_kind,
        track=data.track,
        status="active",
        cadence=cadence.every,
        session_minutes=cadence.session_minutes,
        planned_months=cadence.planned_months,
        review_every_weeks=cadence.review_every_weeks,
        participant_timezone=data.participant_timezone,
        participant_working_hours=[h.model_dump() for h in data.participant_working_hours],
        provider_timezone=data.provider_timezone,
        provider_working_hours=[h.model_dump() for h in data.provider_working_hours],
        approved_at=data.approved_at,
    )
    session.add(engagement)
    await session.flush()
    kickoff = await sla_clocks.open_engagement(session, engagement)
    await emit(
        session,
        EngagementCreated(
            engagement_id=engagement.id,
            match_id=engagement.match_id,
            program_id=engagement.program_id,
            participant_id=engagement.participant_id,
            provider_id=engagement.provider_id,
            kickoff_due_at=kickoff.due_at,
        ),
    )
    log.info("scheduling.engagement.created", engagement_id=str(engagement.id), match_id=str(data.match_id))
    return engagement
