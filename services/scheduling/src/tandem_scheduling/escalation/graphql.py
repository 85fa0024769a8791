"""GraphQL `Escalation`: the paged queue and the mutations, through the same service as REST."""

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import strawberry
from strawberry.types import Info

from tandem_kit.graphql import (
    Page,
    exclusive_session,
    field,
    graphql_input,
    graphql_page,
    mutation_session,
    page_params,
    require_scope,
)
from tandem_scheduling import models
from tandem_scheduling.escalation import repository, service
from tandem_scheduling.escalation.schemas import EscalationAssign, EscalationFilter, EscalationResolve


@strawberry.federation.type(
    keys=["id"], description="A breached SLA of an active engagement, queued for program operations."
)
class Escalation:
    id: strawberry.ID
    engagement_id: strawberry.ID
    program_id: strawberry.ID
    layer: str = strawberry.field(description="`coaching`, `mentoring` or `network`.")
    sla: str = strawberry.field(description="The breached promise, e.g. `kickoff_held`, `checkpoint_held`.")
    due_at: datetime
    opened_at: datetime
    rebreach: bool = strawberry.field(
        description="Breached again after a resolved escalation of the same SLA."
    )
    status: str = strawberry.field(description="`open`, `acknowledged` or `resolved`.")
    assignee_id: strawberry.ID | None
    assigned_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    resolved_at: datetime | None
    resolved_by: str | None
    resolution_note: str | None

    @classmethod
    async def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> "Escalation | None":
        principal = require_scope(info, "scheduling:read")
        try:
            escalation_id = UUID(str(id))
        except ValueError:
            return None
        async with exclusive_session(info) as session:
            found = await repository.get_readable(session, principal, escalation_id)
        return to_graphql(found) if found is not None else None


def _id(value: UUID | None) -> strawberry.ID | None:
    return strawberry.ID(str(value)) if value is not None else None


def to_graphql(e: models.Escalation) -> Escalation:
    return Escalation(
        id=strawberry.ID(str(e.id)),
        engagement_id=strawberry.ID(str(e.engagement_id)),
        program_id=strawberry.ID(str(e.program_id)),
        layer=e.layer,
        sla=e.sla,
        due_at=e.due_at,
        opened_at=e.opened_at,
        rebreach=e.rebreach,
        status=e.status,
        assignee_id=_id(e.assignee_id),
        assigned_at=e.assigned_at,
        acknowledged_at=e.acknowledged_at,
        acknowledged_by=e.acknowledged_by,
        resolved_at=e.resolved_at,
        resolved_by=e.resolved_by,
        resolution_note=e.resolution_note,
    )


@strawberry.type
class EscalationQuery:
    @field(description="The escalation queue, oldest first (program operations see all; a person theirs).")
    async def escalations(
        self,
        info: Info[Any, Any],
        program_id: strawberry.ID | None = None,
        layer: str | None = None,
        status: str | None = None,
        older_than_days: int | None = None,
        assignee_id: strawberry.ID | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> Page[Escalation]:
        principal = require_scope(info, "scheduling:read")
        params = page_params(limit, offset)
        filters = graphql_input(
            EscalationFilter,
            "filter",
            {
                "program_id": program_id,
                "layer": layer,
                "status": status,
                "older_than_days": older_than_days,
                "assignee_id": assignee_id,
            },
        )
        async with exclusive_session(info) as session:
            rows, total = await service.page_escalations(
                session, principal, filters, page=params, now=datetime.now(UTC)
            )
        return graphql_page(rows, total, params, to_graphql)


@strawberry.type
class EscalationMutation:
    @field(description="Assign an escalation to a person in program operations.")
    async def assign_escalation(
        self, info: Info[Any, Any], id: strawberry.ID, assignee_id: strawberry.ID
    ) -> Escalation:
        principal = require_scope(info, "scheduling:write")
        data = graphql_input(EscalationAssign, "input", {"assignee_id": assignee_id})
        async with mutation_session(info) as session:
            found = await service.assign(session, principal, _uuid(id), data, now=datetime.now(UTC))
        return to_graphql(found)

    @field(description="Acknowledge an escalation (its owner or program operations).")
    async def acknowledge_escalation(self, info: Info[Any, Any], id: strawberry.ID) -> Escalation:
        principal = require_scope(info, "scheduling:write")
        async with mutation_session(info) as session:
            found = await service.acknowledge(session, principal, _uuid(id), now=datetime.now(UTC))
        return to_graphql(found)

    @field(description="Resolve an escalation with a note of what was done.")
    async def resolve_escalation(self, info: Info[Any, Any], id: strawberry.ID, note: str) -> Escalation:
        principal = require_scope(info, "scheduling:write")
        data = graphql_input(EscalationResolve, "input", {"note": note})
        async with mutation_session(info) as session:
            found = await service.resolve(session, principal, _uuid(id), data, now=datetime.now(UTC))
        return to_graphql(found)


def _uuid(value: strawberry.ID) -> UUID:
    """An escalation id argument; one that is no UUID finds nothing (404, as REST)."""
    try:
        return UUID(str(value))
    except ValueError:
        raise service.EscalationNotFound(f"No escalation {value} that you may see.") from None
