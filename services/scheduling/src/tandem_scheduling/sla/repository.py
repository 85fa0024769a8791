from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import and_, delete, func, insert, literal, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_scheduling.cadence.repository import NO_SYNC, layer_expression
from tandem_scheduling.models import Engagement, Escalation, SlaClock, SlaPolicy


@dataclass(frozen=True)
class Breach:
    engagement_id: UUID
    match_id: UUID
    program_id: UUID
    layer: str
    kind: str
    due_at: datetime
    breached_at: datetime
    escalation_id: UUID | None
    rebreach: bool | None


@dataclass(frozen=True)
class Met:
    engagement_id: UUID
    kind: str
    due_at: datetime
    met_at: datetime


async def get_policy(session: AsyncSession, program_id: UUID, layer: str) -> SlaPolicy | None:
    return await session.get(SlaPolicy, (program_id, layer))


async def list_policies(session: AsyncSession, program_id: UUID) -> Sequence[SlaPolicy]:
    statement = select(SlaPolicy).where(SlaPolicy.program_id == program_id).order_by(SlaPolicy.layer)
    return (await session.scalars(statement)).all()


async def upsert_policies(session: AsyncSession, rows: Sequence[dict[str, object]]) -> None:
    statement = pg_insert(SlaPolicy).values(list(rows))
    columns = {c: statement.excluded[c] for c in rows[0] if c not in ("program_id", "layer")}
    await session.execute(
        statement.on_conflict_do_update(index_elements=["program_id", "layer"], set_=columns),
        execution_options=NO_SYNC,
    )
    session.expire_all()


async def list_for_engagement(session: AsyncSession, engagement_id: UUID) -> Sequence[SlaClock]:
    """All of an engagement's clocks: a handful per kind (one per checkpoint, one per held session), so
    bounded by the plan."""
    statement = (
        select(SlaClock)
        .where(SlaClock.engagement_id == engagement_id)
        .order_by(SlaClock.due_at, SlaClock.kind, SlaClock.seq, SlaClock.id)
    )
    return (await session.scalars(statement)).all()


async def next_seq(session: AsyncSession, engagement_id: UUID, kind: str) -> int:
    found = await session.scalar(
        select(func.coalesce(func.max(SlaClock.seq), 0)).where(
            SlaClock.engagement_id == engagement_id, SlaClock.kind == kind
        )
    )
    return int(found or 0) + 1


async def latest_clock(session: AsyncSession, engagement_id: UUID, kind: str) -> SlaClock | None:
    found: SlaClock | None = await session.scalar(
        select(SlaClock)
        .where(SlaClock.engagement_id == engagement_id, SlaClock.kind == kind)
        .order_by(SlaClock.seq.desc())
        .limit(1)
        .with_for_update()
    )
    return found


async def has_clock_due_from(session: AsyncSession, engagement_id: UUID, kind: str, due: datetime) -> bool:
    """A clock of `kind` is already due at `due` or later."""
    found = await session.scalar(
        select(func.count()).where(
            SlaClock.engagement_id == engagement_id, SlaClock.kind == kind, SlaClock.due_at >= due
        )
    )
    return bool(found)


async def mark_met(
    session: AsyncSession, engagement_id: UUID, kind: str, at: datetime, *, checkpoint_id: UUID | None = None
) -> list[Met]:
    """Meet the engagement's open clocks of `kind` still in time at `at` (a late one is left for the
    scan to breach); what was met."""
    conditions = [
        SlaClock.engagement_id == engagement_id,
        SlaClock.kind == kind,
        SlaClock.met_at.is_(None),
        SlaClock.breached_at.is_(None),
        SlaClock.due_at >= at,
    ]
    if checkpoint_id is not None:
        conditions.append(SlaClock.checkpoint_id == checkpoint_id)
    result = await session.execute(
        update(SlaClock)
        .where(*conditions)
        .values(met_at=at)
        .returning(SlaClock.engagement_id, SlaClock.kind, SlaClock.due_at, SlaClock.met_at),
        execution_options=NO_SYNC,
    )
    return [Met(*row) for row in result.all()]


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
        .execution_options(**NO_SYNC)
    )
    return len(result.all())


async def breach_overdue(session: AsyncSession, now: datetime, *, limit: int) -> list[Breach]:
    """One statement: stamp at most `limit` open clocks past due (the earliest first) as breached, and
    open an escalation for each breach of an active engagement (`rebreach` when the same engagement and
    SLA had one resolved).

    The clocks are taken `FOR UPDATE SKIP LOCKED`: a concurrent scan (another replica) takes other
    clocks instead of waiting, and a row locked by a booking or a mark is left for the next pass. A
    clock met or breached by a transaction that committed meanwhile is re-checked under the lock and
    skipped: each clock is breached exactly once, so at most one escalation opens per breach (and
    `escalations.clock_id` is unique besides).
    """
    due = (
        select(SlaClock.id)
        .where(SlaClock.due_at < now, SlaClock.met_at.is_(None), SlaClock.breached_at.is_(None))
        .order_by(SlaClock.due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("due")
    )
    breached = (
        update(SlaClock)
        .where(SlaClock.id.in_(select(due.c.id)), SlaClock.engagement_id == Engagement.id)
        .values(breached_at=now)
        .returning(
            SlaClock.id.label("clock_id"),
            Engagement.id.label("engagement_id"),
            Engagement.match_id.label("match_id"),
            Engagement.program_id.label("program_id"),
            Engagement.status.label("status"),
            layer_expression(Engagement.provider_kind).label("layer"),
            SlaClock.kind.label("kind"),
            SlaClock.due_at.label("due_at"),
        )
        .cte("breached")
    )
    # Joined once, not probed per breach: a correlated EXISTS would rescan the escalations table while
    # this very statement appends to it.
    resolved = (
        select(Escalation.engagement_id, Escalation.sla)
        .where(
            Escalation.status == "resolved",
            Escalation.engagement_id.in_(select(breached.c.engagement_id)),
        )
        .distinct()
        .cte("resolved")
    )
    opened = (
        insert(Escalation)
        .from_select(
            [
                "id",
                "clock_id",
                "engagement_id",
                "program_id",
                "layer",
                "sla",
                "due_at",
                "opened_at",
                "rebreach",
                "status",
            ],
            select(
                func.gen_random_uuid(),
                breached.c.clock_id,
                breached.c.engagement_id,
                breached.c.program_id,
                breached.c.layer,
                breached.c.kind,
                breached.c.due_at,
                literal(now),
                resolved.c.engagement_id.is_not(None),
                literal("open"),
            )
            .select_from(
                breached.outerjoin(
                    resolved,
                    and_(
                        resolved.c.engagement_id == breached.c.engagement_id,
                        resolved.c.sla == breached.c.kind,
                    ),
                )
            )
            .where(breached.c.status == "active"),
        )
        .returning(Escalation.id.label("id"), Escalation.clock_id.label("clock_id"), Escalation.rebreach)
        .cte("opened")
    )
    statement = (
        select(
            breached.c.engagement_id,
            breached.c.match_id,
            breached.c.program_id,
            breached.c.layer,
            breached.c.kind,
            breached.c.due_at,
            literal(now),
            opened.c.id,
            opened.c.rebreach,
        )
        .select_from(breached.outerjoin(opened, and_(opened.c.clock_id == breached.c.clock_id)))
        .order_by(breached.c.due_at, breached.c.engagement_id)
    )
    result = await session.execute(statement)
    return [Breach(*row) for row in result.all()]
