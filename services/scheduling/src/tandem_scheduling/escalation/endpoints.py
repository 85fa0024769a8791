from datetime import UTC, datetime
from typing import Literal
from uuid import UUID

from fastapi import APIRouter, Query

from tandem_kit.db import SessionDep
from tandem_kit.openapi import problems
from tandem_kit.pagination import Page, PageQuery, page_of
from tandem_scheduling.auth import SchedulingRead, SchedulingWrite
from tandem_scheduling.escalation import service
from tandem_scheduling.escalation.schemas import (
    Escalation,
    EscalationAssign,
    EscalationFilter,
    EscalationResolve,
    EscalationStatus,
)
from tandem_scheduling.escalation.service import EscalationNotFound, EscalationResolvedAlready, NotOperations

router = APIRouter(prefix="/escalations", tags=["escalations"])

ACTION_PROBLEMS = problems(EscalationNotFound, EscalationResolvedAlready, NotOperations)


@router.get("", response_model=Page[Escalation])
async def list_escalations(
    principal: SchedulingRead,
    session: SessionDep,
    page: PageQuery,
    program_id: UUID | None = Query(default=None, description="Only this program's escalations."),
    layer: Literal["coaching", "mentoring", "network"] | None = Query(
        default=None, description="Only this layer."
    ),
    status: EscalationStatus | None = Query(
        default=None, description="`open`, `acknowledged` or `resolved`."
    ),
    older_than_days: int | None = Query(
        default=None, ge=0, le=3650, description="Only escalations opened more than this many days ago."
    ),
    assignee_id: UUID | None = Query(default=None, description="Only escalations owned by this person."),
) -> Page[Escalation]:
    """List the escalation queue, oldest first, one page at a time (program operations see all; a person
    the ones assigned to them)."""
    filters = EscalationFilter(
        program_id=program_id,
        layer=layer,
        status=status,
        older_than_days=older_than_days,
        assignee_id=assignee_id,
    )
    rows, total = await service.page_escalations(
        session, principal, filters, page=page, now=datetime.now(UTC)
    )
    return page_of(rows, total, page, Escalation.model_validate)


@router.get("/{escalation_id}", response_model=Escalation, responses=problems(EscalationNotFound))
async def get_escalation(escalation_id: UUID, principal: SchedulingRead, session: SessionDep) -> Escalation:
    """Get one escalation."""
    return Escalation.model_validate(await service.get_escalation(session, principal, escalation_id))


@router.post("/{escalation_id}/assign", response_model=Escalation, responses=ACTION_PROBLEMS)
async def assign_escalation(
    escalation_id: UUID, data: EscalationAssign, principal: SchedulingWrite, session: SessionDep
) -> Escalation:
    """Assign an escalation to a person in program operations."""
    return Escalation.model_validate(
        await service.assign(session, principal, escalation_id, data, now=datetime.now(UTC))
    )


@router.post("/{escalation_id}/acknowledge", response_model=Escalation, responses=ACTION_PROBLEMS)
async def acknowledge_escalation(
    escalation_id: UUID, principal: SchedulingWrite, session: SessionDep
) -> Escalation:
    """Acknowledge an escalation (its owner or program operations)."""
    return Escalation.model_validate(
        await service.acknowledge(session, principal, escalation_id, now=datetime.now(UTC))
    )


@router.post("/{escalation_id}/resolve", response_model=Escalation, responses=ACTION_PROBLEMS)
async def resolve_escalation(
    escalation_id: UUID, data: EscalationResolve, principal: SchedulingWrite, session: SessionDep
) -> Escalation:
    """Resolve an escalation with a note of what was done."""
    return Escalation.model_validate(
        await service.resolve(session, principal, escalation_id, data, now=datetime.now(UTC))
    )
