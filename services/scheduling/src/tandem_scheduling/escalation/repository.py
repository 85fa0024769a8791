from collections.abc import Sequence
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import Select, false, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.auth import Principal
from tandem_kit.pagination import PageParams, fetch_page
from tandem_scheduling.escalation.schemas import EscalationFilter
from tandem_scheduling.models import Engagement, Escalation

NO_SYNC = {"synchronize_session": False}


def readable_statement(principal: Principal) -> Select[tuple[Escalation]]:
    """Program operations (program managers, machine clients) see the whole queue; a person sees the
    escalations assigned to them."""
    statement = select(Escalation)
    if principal.sees_everything:
        return statement.where(true())
    if principal.person_uuid is None:
        return statement.where(false())
    return statement.where(Escalation.assignee_id == principal.person_uuid)


async def page_readable(
    session: AsyncSession, principal: Principal, filters: EscalationFilter, page: PageParams, *, now: datetime
) -> tuple[Sequence[Escalation], int]:
    """Oldest first: the queue is worked from its longest-waiting end."""
    statement = readable_statement(principal)
    if filters.program_id is not None:
        statement = statement.where(Escalation.program_id == filters.program_id)
    if filters.layer is not None:
        statement = statement.where(Escalation.layer == filters.layer)
    if filters.status is not None:
        statement = statement.where(Escalation.status == filters.status)
    if filters.assignee_id is not None:
        statement = statement.where(Escalation.assignee_id == filters.assignee_id)
    if filters.older_than_days is not None:
        statement = statement.where(Escalation.opened_at < now - timedelta(days=filters.older_than_days))
    return await fetch_page(session, statement.order_by(Escalation.opened_at, Escalation.id), page)


async def get_readable(
    session: AsyncSession, principal: Principal, escalation_id: UUID, *, for_update: bool = False
) -> Escalation | None:
    statement = readable_statement(principal).where(Escalation.id == escalation_id)
    if for_update:
        statement = statement.with_for_update()
    found: Escalation | None = await session.scalar(statement)
    return found


async def list_readable_by_ids(
    session: AsyncSession, principal: Principal, ids: Sequence[UUID]
) -> Sequence[Escalation]:
    return (await session.scalars(readable_statement(principal).where(Escalation.id.in_(ids)))).all()


async def of_engagements(session: AsyncSession, engagement_ids: Sequence[UUID]) -> Sequence[Escalation]:
    statement = (
        select(Escalation)
        .where(Escalation.engagement_id.in_(engagement_ids))
        .order_by(Escalation.engagement_id, Escalation.opened_at, Escalation.id)
    )
    return (await session.scalars(statement)).all()


async def clear_notes(session: AsyncSession, engagements: Select[tuple[UUID]] | Sequence[UUID]) -> int:
    """Drop the resolution notes of these engagements' escalations; how many had one."""
    result = await session.scalars(
        update(Escalation)
        .where(Escalation.engagement_id.in_(engagements), Escalation.resolution_note.is_not(None))
        .values(resolution_note=None)
        .returning(Escalation.id),
        execution_options=NO_SYNC,
    )
    return len(result.all())


async def assigned_to(session: AsyncSession, person_id: UUID) -> Sequence[Escalation]:
    """The escalations a person owns or acted on (as program operations staff)."""
    subject = str(person_id)
    statement = (
        select(Escalation)
        .where(
            or_(
                Escalation.assignee_id == person_id,
                Escalation.acknowledged_by == subject,
                Escalation.resolved_by == subject,
            )
        )
        .order_by(Escalation.opened_at, Escalation.id)
    )
    return (await session.scalars(statement)).all()


async def forget_staff(session: AsyncSession, person_id: UUID, *, alias: str) -> None:
    """An erased person owns no escalation any more, and `alias` stands in for them as its actor."""
    subject = str(person_id)
    await session.execute(
        update(Escalation).where(Escalation.assignee_id == person_id).values(assignee_id=None),
        execution_options=NO_SYNC,
    )
    await session.execute(
        update(Escalation).where(Escalation.acknowledged_by == subject).values(acknowledged_by=alias),
        execution_options=NO_SYNC,
    )
    await session.execute(
        update(Escalation).where(Escalation.resolved_by == subject).values(resolved_by=alias),
        execution_options=NO_SYNC,
    )


async def engagement_of(session: AsyncSession, escalation: Escalation) -> Engagement | None:
    return await session.get(Engagement, escalation.engagement_id)
