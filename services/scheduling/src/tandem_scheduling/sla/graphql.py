"""GraphQL for SLA policies: the same service calls as REST."""

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import strawberry
from pydantic import BaseModel
from strawberry.types import Info

from tandem_kit.graphql import exclusive_session, field, graphql_input, mutation_session, require_scope
from tandem_scheduling.sla import service
from tandem_scheduling.sla.schemas import SlaPolicy as SlaPolicyModel
from tandem_scheduling.sla.schemas import SlaPolicyUpdate


@strawberry.type(description="A program's service levels for one layer (seed defaults where none is set).")
class SlaPolicy:
    program_id: strawberry.ID
    layer: str
    kickoff_days: int
    next_session_days: int
    checkpoint_grace_days: int
    review_every_weeks: int | None
    attendance_floor: float
    configured: bool
    updated_by: str | None
    updated_at: datetime | None


@strawberry.input(description="One layer's service levels (REST: `PUT .../sla-policies`).")
class SlaPolicyInput:
    layer: str
    kickoff_days: int
    next_session_days: int
    checkpoint_grace_days: int = 0
    review_every_weeks: int | None = None
    attendance_floor: float = 0.8


def to_graphql(p: SlaPolicyModel) -> SlaPolicy:
    return SlaPolicy(
        program_id=strawberry.ID(str(p.program_id)),
        layer=p.layer,
        kickoff_days=p.kickoff_days,
        next_session_days=p.next_session_days,
        checkpoint_grace_days=p.checkpoint_grace_days,
        review_every_weeks=p.review_every_weeks,
        attendance_floor=p.attendance_floor,
        configured=p.configured,
        updated_by=p.updated_by,
        updated_at=p.updated_at,
    )


class ProgramRef(BaseModel):
    program_id: UUID


def _program(value: strawberry.ID) -> UUID:
    """The program id argument (422 pointing at it when it is no UUID)."""
    return graphql_input(ProgramRef, "input", {"program_id": value}).program_id


@strawberry.type
class SlaQuery:
    @field(description="A program's SLA policy per layer (program managers and machine clients).")
    async def sla_policies(self, info: Info[Any, Any], program_id: strawberry.ID) -> list[SlaPolicy]:
        principal = require_scope(info, "scheduling:read")
        program = _program(program_id)
        async with exclusive_session(info) as session:
            return [to_graphql(p) for p in await service.list_policies(session, principal, program)]


@strawberry.type
class SlaMutation:
    @field(description="Set a program's SLA policies for the given layers.")
    async def set_sla_policies(
        self, info: Info[Any, Any], program_id: strawberry.ID, policies: list[SlaPolicyInput]
    ) -> list[SlaPolicy]:
        principal = require_scope(info, "scheduling:write")
        program = _program(program_id)
        data = graphql_input(SlaPolicyUpdate, "input", {"policies": [vars(p) for p in policies]})
        async with mutation_session(info) as session:
            answer = await service.set_policies(session, principal, program, data, now=datetime.now(UTC))
        return [to_graphql(p) for p in answer]
