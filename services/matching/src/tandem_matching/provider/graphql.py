from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from tandem_kit.auth import Principal
from tandem_kit.graphql import (
    JSONInput,
    Page,
    exclusive_session,
    field,
    graphql_input,
    graphql_page,
    keyed_loader,
    mutation_session,
    page_params,
    parse_id,
    require_scope,
)
from tandem_matching import models
from tandem_matching.eligibility import Policy
from tandem_matching.provider import repository, service
from tandem_matching.provider.schemas import CalibrationRecordCreate, ProviderCreate, ProviderUpdate


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


@strawberry.type(description="One calibration panelist's 1..5 rubric scores.")
class RubricScore:
    challenge_skill: int
    behavioural_tools: int
    confidentiality_practice: int
    context_fluency: int
    measurable_outcomes: int


@strawberry.type(description="A coach's calibration review as held: panel, date, LMS evidence, scores.")
class CalibrationRecord:
    id: strawberry.ID
    provider_id: strawberry.ID
    held_on: date
    panel: list[strawberry.ID] = strawberry.field(description="Panel members' person ids.")
    evidence_ids: list[strawberry.ID] = strawberry.field(description="The LMS evidence the panel reviewed.")
    scores: list[RubricScore]
    recorded_by: str
    created_at: datetime


def calibration_to_graphql(r: models.CalibrationRecord) -> CalibrationRecord:
    return CalibrationRecord(
        id=strawberry.ID(str(r.id)),
        provider_id=strawberry.ID(str(r.provider_id)),
        held_on=r.held_on,
        panel=[strawberry.ID(p) for p in r.panel],
        evidence_ids=[strawberry.ID(e) for e in r.evidence_ids],
        scores=[RubricScore(**s) for s in r.scores],
        recorded_by=r.recorded_by,
        created_at=r.created_at,
    )


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
    sourcing: str = strawberry.field(
        description="internal or external (external coaches take C-suite cases)."
    )
    sensitive_role: bool = strawberry.field(description="The provider's own role is politically sensitive.")

    @field(description="The coach's calibration records, latest first (paged).")
    async def calibration_records(
        self, info: Info[Any, Any], limit: int = 100, offset: int = 0
    ) -> Page[CalibrationRecord]:
        params = page_params(limit, offset)
        principal: Principal = info.context["principal"]
        async with exclusive_session(info) as session:
            rows, total = await service.calibration_records(session, principal, UUID(self.id), params)
        return graphql_page(rows, total, params, calibration_to_graphql)

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
        sourcing=p.sourcing,
        sensitive_role=p.sensitive_role,
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


def _policy(info: Info[Any, Any]) -> Policy:
    policy: Policy = info.context["request"].app.state.eligibility_policy
    return policy


@strawberry.type
class ProviderMutation:
    @field(
        description="Register a coach or mentor in a program (input: the body of REST's POST .../providers)."
    )
    async def register_provider(self, info: Info[Any, Any], program_id: UUID, input: JSONInput) -> Provider:
        principal = require_scope(info, "matching:write")
        data = graphql_input(ProviderCreate, "input", input)
        async with mutation_session(info) as session:
            row = await service.register_provider(session, principal, program_id, data, policy=_policy(info))
        return to_graphql(row)

    @field(description="Update a provider's profile, capacity or credentials (input: REST's PATCH body).")
    async def update_provider(self, info: Info[Any, Any], id: UUID, input: JSONInput) -> Provider:
        principal = require_scope(info, "matching:write")
        data = graphql_input(ProviderUpdate, "input", input)
        async with mutation_session(info) as session:
            row = await service.update_provider(session, principal, id, data, policy=_policy(info))
        return to_graphql(row)

    @field(description="Record a coach's calibration review: panel, date, LMS evidence, optional scores.")
    async def record_calibration(
        self, info: Info[Any, Any], provider_id: UUID, input: JSONInput
    ) -> CalibrationRecord:
        principal = require_scope(info, "matching:write")
        data = graphql_input(CalibrationRecordCreate, "input", input)
        async with mutation_session(info) as session:
            row = await service.record_calibration(
                session, principal, provider_id, data, policy=_policy(info)
            )
        return calibration_to_graphql(row)
