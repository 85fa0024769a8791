from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import case, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.elements import ColumnElement

from tandem_scheduling.cadence.domain import CHECKPOINT_WINDOW
from tandem_scheduling.models import Checkpoint, Engagement, Session

NO_SYNC = {"synchronize_session": False}


def layer_expression(provider_kind: InstrumentedAttribute[str]) -> ColumnElement[str]:
    """`cadence.domain.layer_of` in SQL."""
    return case((provider_kind == "mentor", literal("mentoring")), else_=literal("coaching"))


@dataclass(frozen=True)
class DueCheckpoint:
    checkpoint_id: UUID
    engagement_id: UUID
    match_id: UUID
    program_id: UUID
    layer: str
    kind: str
    due_at: datetime


async def list_for_engagement(session: AsyncSession, engagement_id: UUID) -> Sequence[Checkpoint]:
    statement = select(Checkpoint).where(Checkpoint.engagement_id == engagement_id).order_by(Checkpoint.seq)
    return (await session.scalars(statement)).all()


async def get_in_engagement(
    session: AsyncSession, engagement_id: UUID, checkpoint_id: UUID, *, for_update: bool = False
) -> Checkpoint | None:
    statement = select(Checkpoint).where(
        Checkpoint.engagement_id == engagement_id, Checkpoint.id == checkpoint_id
    )
    if for_update:
        statement = statement.with_for_update()
    found: Checkpoint | None = await session.scalar(statement)
    return found


async def for_held_session(session: AsyncSession, engagement_id: UUID, session_id: UUID) -> Checkpoint | None:
    """The checkpoint a held session stands for: the one it was marked as, else the earliest not held
    yet (a `checkpoint` session holds the next one due)."""
    marked: Checkpoint | None = await session.scalar(
        select(Checkpoint)
        .where(Checkpoint.engagement_id == engagement_id, Checkpoint.session_id == session_id)
        .with_for_update()
    )
    if marked is not None:
        return marked
    earliest: Checkpoint | None = await session.scalar(
        select(Checkpoint)
        .where(
            Checkpoint.engagement_id == engagement_id,
            Checkpoint.held_at.is_(None),
            Checkpoint.session_id.is_(None),
        )
        .order_by(Checkpoint.seq)
        .limit(1)
        .with_for_update()
    )
    return earliest


async def announce_due(session: AsyncSession, now: datetime, *, limit: int) -> list[DueCheckpoint]:
    """One statement: at most `limit` checkpoints of active engagements entering their window, not held
    nor announced yet, are stamped announced (`FOR UPDATE SKIP LOCKED`, as the breaches: a concurrent
    scan takes others); those stamped."""
    due = (
        select(Checkpoint.id)
        .join(Engagement, Engagement.id == Checkpoint.engagement_id)
        .where(
            Engagement.status == "active",
            Checkpoint.announced_at.is_(None),
            Checkpoint.held_at.is_(None),
            Checkpoint.due_at <= now + CHECKPOINT_WINDOW,
        )
        .order_by(Checkpoint.due_at)
        .limit(limit)
        .with_for_update(of=Checkpoint, skip_locked=True)
        .cte("due")
    )
    result = await session.execute(
        update(Checkpoint)
        .where(
            Checkpoint.id.in_(select(due.c.id)),
            Checkpoint.engagement_id == Engagement.id,
            Checkpoint.announced_at.is_(None),
            Checkpoint.held_at.is_(None),
        )
        .values(announced_at=now)
        .returning(
            Checkpoint.id,
            Engagement.id,
            Engagement.match_id,
            Engagement.program_id,
            layer_expression(Engagement.provider_kind),
            Checkpoint.kind,
            Checkpoint.due_at,
        ),
        execution_options=NO_SYNC,
    )
    return [DueCheckpoint(*row) for row in result.all()]


async def booked_count(session: AsyncSession, engagement_id: UUID) -> int:
    """Sessions booked and not cancelled (held ones included)."""
    found = await session.scalar(
        select(func.count()).where(Session.engagement_id == engagement_id, Session.status != "cancelled")
    )
    return int(found or 0)


async def booked_after(session: AsyncSession, engagement_id: UUID, after: datetime) -> bool:
    """A session is already booked to start after `after` (the next session is booked)."""
    found = await session.scalar(
        select(func.count()).where(
            Session.engagement_id == engagement_id, Session.status == "booked", Session.starts_at > after
        )
    )
    return bool(found)
