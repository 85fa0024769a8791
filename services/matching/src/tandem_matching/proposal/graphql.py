from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from tandem_kit.auth import Principal
from tandem_kit.graphql import (
    Page,
    exclusive_session,
    field,
    graphql_page,
    keyed_loader,
    page_params,
    parse_id,
    require_scope,
)
from tandem_matching import models
from tandem_matching.match.graphql import Person, Program, person, program_of
from tandem_matching.proposal import repository, service
from tandem_matching.provider import graphql as provider_graphql
from tandem_matching.provider.graphql import Provider


@strawberry.type
class SignalContribution:
    signal: str
    value: float
    nominal_weight: float
    weight_used: float
    contribution: float


@strawberry.type
class Candidate:
    rank: int
    score: float
    signals: list[SignalContribution]
    provider_id: strawberry.Private[UUID]

    @strawberry.field
    async def provider(self, info: Info[Any, Any]) -> Provider:
        return await provider_graphql.linked(info, self.provider_id)


@strawberry.type
class ExcludedSignal:
    signal: str
    missing_fields: list[str]
    nominal_weight: float


@strawberry.type(description="A ranking rule on HR directory facts left out for the participant.")
class DirectoryRuleLeftOut:
    rule: str = strawberry.field(description="mentor_seniority or cross_department.")
    field: str = strawberry.field(description="The consent-inventory field it reads.")
    why: str = strawberry.field(description="no_consent or unknown (the directory holds no value).")


@strawberry.federation.type(keys=["id"])
class Proposal:
    id: strawberry.ID
    status: str
    provider_kind: str
    weight_set_version: int
    excluded_signals: list[ExcludedSignal]
    directory_left_out: list[DirectoryRuleLeftOut]
    redistributed_weight: float
    promotion_rule_applied: bool
    explanation: list[str] = strawberry.field(
        description="Plain-language notes on exclusions and rules applied (e.g. external coaches only)."
    )
    created_at: datetime
    program_id: strawberry.Private[UUID]
    participant_id: strawberry.Private[UUID]

    @strawberry.field
    def participant(self) -> Person:
        return person(self.participant_id)

    @strawberry.field
    async def program(self, info: Info[Any, Any]) -> Program:
        return await program_of(info, self.program_id)

    @field(description="Ranked candidates, best first, each explained signal by signal.")
    async def candidates(self, info: Info[Any, Any]) -> list[Candidate]:
        rows = await keyed_loader(info, "candidates", load_candidates).load(UUID(self.id)) or []
        # The REST read's candidates, less the provider-consent detail (a GraphQL candidate has none).
        return [
            Candidate(
                rank=c.rank,
                score=c.score,
                provider_id=c.provider_id,
                signals=[SignalContribution(**s.model_dump()) for s in c.signals],
            )
            for c in service.candidates(rows, show_provider_consent=False)
        ]

    @classmethod
    async def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> "Proposal | None":
        require_scope(info, "matching:read")
        proposal = await keyed_loader(info, "proposals", load_proposals).load(UUID(id))
        return to_graphql(proposal) if proposal else None


def to_graphql(p: models.Proposal) -> Proposal:
    return Proposal(
        id=strawberry.ID(str(p.id)),
        status=p.status,
        provider_kind=p.provider_kind,
        weight_set_version=p.weight_set_version,
        excluded_signals=[ExcludedSignal(**e) for e in p.excluded_signals],
        directory_left_out=[DirectoryRuleLeftOut(**d) for d in p.directory_left_out],
        redistributed_weight=p.redistributed_weight,
        promotion_rule_applied=p.promotion_rule_applied,
        explanation=service.explanation(
            p.excluded_signals,
            p.redistributed_weight,
            p.promotion_rule_applied,
            p.directory_left_out,
            p.external_only_cases,
        ),
        created_at=p.created_at,
        program_id=p.program_id,
        participant_id=p.participant_id,
    )


async def load_proposals(
    session: AsyncSession, principal: Principal, ids: Sequence[UUID]
) -> dict[UUID, models.Proposal]:
    return {p.id: p for p in await repository.get_many(session, principal, ids)}


async def load_candidates(
    session: AsyncSession, principal: Principal, ids: Sequence[UUID]
) -> dict[UUID, list[models.ProposalCandidate]]:
    grouped: dict[UUID, list[models.ProposalCandidate]] = {i: [] for i in ids}
    for row in await repository.candidates_of(session, ids):
        grouped[row.proposal_id].append(row)
    return grouped


@strawberry.type
class ProposalQuery:
    @field(description="A proposal by id (participants see their own; managers all).")
    async def proposal(self, info: Info[Any, Any], id: strawberry.ID) -> Proposal | None:
        require_scope(info, "matching:read")
        key = parse_id(id)
        proposal = await keyed_loader(info, "proposals", load_proposals).load(key) if key else None
        return to_graphql(proposal) if proposal else None

    @field(
        description="A program's proposals the caller may see, oldest first, optionally by status (paged)."
    )
    async def proposals(
        self,
        info: Info[Any, Any],
        program_id: strawberry.ID,
        status: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> Page[Proposal]:
        principal = require_scope(info, "matching:read")
        params = page_params(limit, offset)
        key = parse_id(program_id)
        if key is None:
            return graphql_page([], 0, params, to_graphql)
        async with exclusive_session(info) as session:
            rows, total = await repository.list_for_program(session, principal, key, params, status=status)
        return graphql_page(rows, total, params, to_graphql)
