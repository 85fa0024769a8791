from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_scheduling.models import Engagement, SlaClock


@dataclass(frozen=True)
class Breach:
    engagement_id: UUID
    match_id: UUID
    kind: str
    due_at: datetime
    breached_at: datetime


async def list_for_engagement(session: AsyncSession, engagement_id: UUID) -> Sequence[SlaClock]:
    """All of an engagement's clocks: at most one per kind (a unique constraint), so never a long list."""
    statement = (
        select(SlaClock).where(SlaClock.engagement_id == engagement_id).order_by(SlaClock.due_at, SlaClock.id)
    )
    return (await session.scalars(statement)).all()


async def mark_met(session: AsyncSession, engagement_id: UUID, kind: str, at: datetime) -> None:
    await session.execute(
        update(SlaClock)
        .where(SlaClock.engagement_id == engagement_id, SlaClock.kind == kind, SlaClock.met_at.is_(None))
        .values(met_at=at)
    )


async def reopen(session: AsyncSession, engagement_id: UUID, kind: str) -> None:
    await session.execute(
        update(SlaClock)
        .where(SlaClock.engagement_id == engagement_id, SlaClock.kind == kind, SlaClock.breached_at.is_(None))
        .values(met_at=None)
    )


async def delete_open_due_after(session: AsyncSession, engagement_ids: Sequence[UUID], now: datetime) -> int:
    """Delete the engagements' unmet, unbreached clocks that are not due yet; how many."""
    result = await session.execute(
        delete(SlaClock)
        .where(
            SlaClock.engagement_id.in_(engagement_ids),
            SlaClock.met_at.is_(None),
            SlaClock.breached_at.is_(None),
            SlaClock.due_at > now,
        )
        .returning(SlaClock.id)
        .execution_options(synchronize_session=False)
    )
    return len(result.all())


async def breach_overdue(session: AsyncSession, now: datetime) -> list[Breach]:
    """Stamp every open clock past due as breached and return them.

    A concurrent scan blocks on the same rows, re-checks `breached_at IS NULL` after the first commits,
    and skips them: each clock is breached exactly once.
    """
    result = await session.execute(
        update(SlaClock)
        .where(
            SlaClock.engagement_id == Engagement.id,
            SlaClock.due_at < now,
            SlaClock.met_at.is_(None),
            SlaClock.breached_at.is_(None),
        )
        .values(breached_at=now)
        .returning(Engagement.id, Engagement.match_id, SlaClock.kind, SlaClock.due_at, SlaClock.breached_at)
        .execution_options(synchronize_session=False)
    )
    return [Breach(*row) for row in result.all()]
