"""Idempotent upserts: applying the same fact twice leaves the same rows (besides processed_events)."""

from datetime import datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_analytics.fact import operations
from tandem_analytics.models import EngagementFact, MatchFact, ProviderFact, SessionFact, SlaFact


async def upsert_provider(session: AsyncSession, values: dict[str, Any]) -> None:
    stmt = insert(ProviderFact).values(values)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[ProviderFact.provider_id],
            set_={
                "program_id": stmt.excluded.program_id,
                "kind": stmt.excluded.kind,
                "capacity": operations.registered_capacity(stmt.excluded.capacity),
            },
        )
    )


async def upsert_match(session: AsyncSession, values: dict[str, Any]) -> None:
    stmt = insert(MatchFact).values(values)
    # An end applied first left a row without its approval: fill that in, keep the end. The ids are
    # not rewritten, so a late approval cannot undo an erasure of the row either.
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[MatchFact.match_id],
            set_={"track": stmt.excluded.track, "approved_at": stmt.excluded.approved_at},
            where=MatchFact.approved_at.is_(None),
        )
    )


async def mark_match_ended(session: AsyncSession, values: dict[str, Any]) -> None:
    """Record the end; before the approval arrives, as a row the approval completes later."""
    stmt = insert(MatchFact).values(values)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[MatchFact.match_id],
            set_={"ended_at": stmt.excluded.ended_at, "end_reason": stmt.excluded.end_reason},
            where=MatchFact.ended_at.is_(None),
        )
    )


async def upsert_engagement(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(
        insert(EngagementFact)
        .values(values)
        .on_conflict_do_nothing(index_elements=[EngagementFact.engagement_id])
    )


async def upsert_booked_session(session: AsyncSession, values: dict[str, Any]) -> None:
    stmt = insert(SessionFact).values(values)
    booking = {k: stmt.excluded[k] for k in values if k != "session_id"}
    # A cancellation applied first left a bare row: fill in the booking, keep cancelled_at.
    await session.execute(stmt.on_conflict_do_update(index_elements=[SessionFact.session_id], set_=booking))


async def mark_session_cancelled(
    session: AsyncSession, *, session_id: Any, engagement_id: Any, cancelled_at: datetime
) -> None:
    stmt = insert(SessionFact).values(
        session_id=session_id, engagement_id=engagement_id, cancelled_at=cancelled_at
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[SessionFact.session_id],
            set_={"cancelled_at": stmt.excluded.cancelled_at},
            where=SessionFact.cancelled_at.is_(None),
        )
    )


async def upsert_sla_breach(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(
        insert(SlaFact)
        .values(values)
        .on_conflict_do_nothing(index_elements=[SlaFact.engagement_id, SlaFact.sla])
    )
