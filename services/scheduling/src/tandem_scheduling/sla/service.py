from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.auth import Principal
from tandem_kit.events import emit
from tandem_scheduling.engagement import service as engagement_service
from tandem_scheduling.events import SlaBreached
from tandem_scheduling.models import SlaClock
from tandem_scheduling.sla import repository
from tandem_scheduling.sla.repository import Breach

log = structlog.get_logger("tandem.scheduling.sla")


async def list_clocks(session: AsyncSession, principal: Principal, engagement_id: UUID) -> Sequence[SlaClock]:
    engagement = await engagement_service.get_engagement(session, principal, engagement_id)
    return await repository.list_for_engagement(session, engagement.id)


async def meet(session: AsyncSession, engagement_id: UUID, kind: str, *, at: datetime) -> None:
    await repository.mark_met(session, engagement_id, kind, at)


async def reopen(session: AsyncSession, engagement_id: UUID, kind: str) -> None:
    """The promise is open again (its session was cancelled), unless it was already breached."""
    await repository.reopen(session, engagement_id, kind)


async def close(session: AsyncSession, engagement_ids: Sequence[UUID], *, now: datetime) -> int:
    """The engagements ended: open clocks not yet due are deleted (moot), overdue open ones stay for
    the scan to breach, met ones stay. Returns how many were deleted."""
    return await repository.delete_open_due_after(session, engagement_ids, now)


async def detect_breaches(session: AsyncSession, now: datetime) -> list[Breach]:
    """Mark SLA clocks past due and unmet as breached, emitting `SlaBreached` once per clock."""
    breaches = await repository.breach_overdue(session, now)
    for breach in breaches:
        await emit(
            session,
            SlaBreached(
                engagement_id=breach.engagement_id,
                match_id=breach.match_id,
                sla=breach.kind,
                due_at=breach.due_at,
                breached_at=breach.breached_at,
            ),
        )
        log.warning("scheduling.sla.breached", engagement_id=str(breach.engagement_id), sla=breach.kind)
    return breaches
