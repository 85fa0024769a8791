from datetime import UTC, datetime
from uuid import UUID

from fastapi import APIRouter

from tandem_kit.db import SessionDep
from tandem_kit.openapi import problems
from tandem_scheduling.auth import SchedulingRead, SchedulingWrite
from tandem_scheduling.sla import service
from tandem_scheduling.sla.schemas import SlaPolicy, SlaPolicyUpdate
from tandem_scheduling.sla.service import PolicyForbidden

router = APIRouter(tags=["sla"])


@router.get(
    "/programs/{program_id}/sla-policies", response_model=list[SlaPolicy], responses=problems(PolicyForbidden)
)
async def list_sla_policies(
    program_id: UUID, principal: SchedulingRead, session: SessionDep
) -> list[SlaPolicy]:
    """List a program's SLA policy per layer (seed defaults where none is set)."""
    return await service.list_policies(session, principal, program_id)


@router.put(
    "/programs/{program_id}/sla-policies", response_model=list[SlaPolicy], responses=problems(PolicyForbidden)
)
async def set_sla_policies(
    program_id: UUID, data: SlaPolicyUpdate, principal: SchedulingWrite, session: SessionDep
) -> list[SlaPolicy]:
    """Set a program's SLA policies for the given layers (program managers and machine clients)."""
    return await service.set_policies(session, principal, program_id, data, now=datetime.now(UTC))
