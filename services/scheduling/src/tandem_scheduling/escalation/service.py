"""The escalation queue of program operations: every breach of an active engagement, to assign,
acknowledge and resolve (with a note that stays here)."""

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.auth import Principal
from tandem_kit.errors import Conflict, Forbidden, NotFound
from tandem_kit.events import emit
from tandem_kit.pagination import PageParams
from tandem_scheduling.escalation import repository
from tandem_scheduling.escalation.schemas import EscalationAssign, EscalationFilter, EscalationResolve
from tandem_scheduling.events import EscalationResolved
from tandem_scheduling.models import Escalation

log = structlog.get_logger("tandem.scheduling.escalation")


class EscalationNotFound(NotFound):
    code, title = "escalation-not-found", "Escalation not found"


class EscalationResolvedAlready(Conflict):
    code, title = "escalation-resolved", "Escalation already resolved"


class NotOperations(Forbidden):
    code, title = "escalation-forbidden", "Only program operations act on this escalation"


def _operations(principal: Principal) -> bool:
    return principal.person_id is None or principal.supervises


async def page_escalations(
    session: AsyncSession, principal: Principal, filters: EscalationFilter, *, page: PageParams, now: datetime
) -> tuple[Sequence[Escalation], int]:
    return await repository.page_readable(session, principal, filters, page, now=now)


async def get_escalation(
    session: AsyncSession, principal: Principal, escalation_id: UUID, *, for_update: bool = False
) -> Escalation:
    found = await repository.get_readable(session, principal, escalation_id, for_update=for_update)
    if found is None:
        raise EscalationNotFound(f"No escalation {escalation_id} that you may see.")
    return found


async def _open_for_action(
    session: AsyncSession, principal: Principal, escalation_id: UUID, *, assignee_may: bool
) -> Escalation:
    escalation = await get_escalation(session, principal, escalation_id, for_update=True)
    if not (_operations(principal) or (assignee_may and escalation.assignee_id == principal.person_uuid)):
        raise NotOperations("Program managers and machine clients assign escalations.")
    if escalation.status == "resolved":
        raise EscalationResolvedAlready(
            f"Escalation {escalation.id} was resolved at {escalation.resolved_at}.",
            rule="escalation-resolved",
        )
    return escalation


async def assign(
    session: AsyncSession, principal: Principal, escalation_id: UUID, data: EscalationAssign, *, now: datetime
) -> Escalation:
    """Give the escalation an owner; the same owner again changes nothing."""
    escalation = await _open_for_action(session, principal, escalation_id, assignee_may=False)
    if escalation.assignee_id != data.assignee_id:
        escalation.assignee_id, escalation.assigned_at = data.assignee_id, now
        await session.flush()
        log.info("scheduling.escalation.assigned", escalation_id=str(escalation.id))
    return escalation


async def acknowledge(
    session: AsyncSession, principal: Principal, escalation_id: UUID, *, now: datetime
) -> Escalation:
    """The owner (or program operations) has seen it; a repeat changes nothing."""
    escalation = await _open_for_action(session, principal, escalation_id, assignee_may=True)
    if escalation.status == "open":
        escalation.status, escalation.acknowledged_at, escalation.acknowledged_by = (
            "acknowledged",
            now,
            principal.subject,
        )
        await session.flush()
        log.info("scheduling.escalation.acknowledged", escalation_id=str(escalation.id))
    return escalation


async def resolve(
    session: AsyncSession,
    principal: Principal,
    escalation_id: UUID,
    data: EscalationResolve,
    *,
    now: datetime,
) -> Escalation:
    """Close it with a note (kept here; `EscalationResolved` carries no text). A later breach of the
    same engagement and SLA opens a new escalation marked `rebreach`."""
    escalation = await _open_for_action(session, principal, escalation_id, assignee_may=True)
    escalation.status, escalation.resolved_at, escalation.resolved_by = "resolved", now, principal.subject
    escalation.resolution_note = data.note
    await session.flush()
    await emit(
        session,
        EscalationResolved(
            escalation_id=escalation.id,
            engagement_id=escalation.engagement_id,
            program_id=escalation.program_id,
            layer=escalation.layer,
            sla=escalation.sla,
            resolved_at=now,
            resolved_by=principal.subject,
        ),
    )
    log.info("scheduling.escalation.resolved", escalation_id=str(escalation.id), sla=escalation.sla)
    return escalation
