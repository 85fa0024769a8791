from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from tandem_kit.auth import Principal
from tandem_kit.graphql import field, keyed_loader, parse_id, require_scope
from tandem_matching import models
from tandem_matching.provider import repository


@strawberry.type(description="Evidence behind an eligibility gate.")
class GateEvidence:
    item: str
    evidence_id: strawberry.ID
    statement_id: str
    achieved_at: datetime


@strawberry.type(description="One eligibility gate: met, missing, lapsed or overridden.")
class EligibilityGate:
    name: str
    status: str
    missing: str | None
    evidence: list[GateEvidence]


@strawberry.type(description="A program manager's override of evidence gates.")
class EligibilityOverride:
    gates: list[str]
    by: str
    at: datetime
    reason: str


@strawberry.federation.type(keys=["id"])
class Provider:
    id: strawberry.ID
    program_id: strawberry.ID
    person_id: strawberry.ID
    kind: str
    timezone: str
    languages: list[str]
    capacity: int
    active_load: int
    eligible: bool
    ineligible_reasons: list[str]
    eligibility_gates: list[EligibilityGate]
    eligibility_override: EligibilityOverride | None

    @classmethod
    async def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> "Provider | None":
        require_scope(info, "matching:read")
        provider = await keyed_loader(info, "readable_providers", load_readable).load(UUID(id))
        return to_graphql(provider) if provider else None


def _gate(stored: dict[str, Any]) -> EligibilityGate:
    return EligibilityGate(
        name=stored["name"],
        status=stored["status"],
        missing=stored["reason"],
        evidence=[
            GateEvidence(
                item=e["item"],
                evidence_id=strawberry.ID(e["evidence_id"]),
                statement_id=e["statement_id"],
                achieved_at=datetime.fromisoformat(e["achieved_at"]),
            )
            for e in stored["evidence"]
        ],
    )


def _override(stored: dict[str, Any] | None) -> EligibilityOverride | None:
    if not stored:
        return None
    return EligibilityOverride(
        gates=list(stored["gates"]),
        by=stored["by"],
        at=datetime.fromisoformat(stored["at"]),
        reason=stored["reason"],
    )


def to_graphql(p: models.Provider) -> Provider:
    return Provider(
        id=strawberry.ID(str(p.id)),
        program_id=strawberry.ID(str(p.program_id)),
        person_id=strawberry.ID(str(p.person_id)),
        kind=p.kind,
        timezone=p.timezone,
        languages=list(p.languages),
        capacity=p.capacity,
        active_load=p.active_load,
        eligible=p.eligible,
        ineligible_reasons=list(p.ineligible_reasons),
        eligibility_gates=[_gate(g) for g in p.gates],
        eligibility_override=_override(p.eligibility_override),
    )


async def load_readable(
    session: AsyncSession, principal: Principal, ids: Sequence[UUID]
) -> dict[UUID, models.Provider]:
    return {p.id: p for p in await repository.get_many(session, principal, ids)}


async def load_linked(
    session: AsyncSession, principal: Principal, ids: Sequence[UUID]
) -> dict[UUID, models.Provider]:
    # Reached through a match or proposal the caller may already see: the provider comes with it.
    return {p.id: p for p in await repository.by_ids(session, ids)}


async def linked(info: Info[Any, Any], provider_id: UUID) -> Provider:
    """The provider of a match or proposal candidate the caller already sees."""
    row = await keyed_loader(info, "linked_providers", load_linked).load(provider_id)
    assert row is not None
    return to_graphql(row)


@strawberry.type
class ProviderQuery:
    @field(description="A coach or mentor by id (people see their own provider rows).")
    async def provider(self, info: Info[Any, Any], id: strawberry.ID) -> Provider | None:
        require_scope(info, "matching:read")
        key = parse_id(id)
        provider = await keyed_loader(info, "readable_providers", load_readable).load(key) if key else None
        return to_graphql(provider) if provider else None
