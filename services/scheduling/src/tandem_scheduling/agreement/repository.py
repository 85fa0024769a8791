from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_scheduling.models import WorkingAgreement


async def get_for_engagement(
    session: AsyncSession, engagement_id: UUID, *, for_update: bool = False
) -> WorkingAgreement | None:
    # Visibility is decided on the engagement: callers pass only engagement ids they may read.
    statement = select(WorkingAgreement).where(WorkingAgreement.engagement_id == engagement_id)
    if for_update:
        statement = statement.with_for_update()
    found = await session.scalar(statement)
    return found
