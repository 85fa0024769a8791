"""The review mutations: propose, approve, reject, override (the same service calls, scopes and object
checks as REST; a refusal is a GraphQL error carrying the REST problem)."""

from typing import Any
from uuid import UUID

import strawberry
from strawberry.types import Info

from tandem_kit.graphql import field, graphql_input, mutation_session, require_scope
from tandem_matching.match.graphql import Match, consent_gate
from tandem_matching.match.graphql import to_graphql as match_to_graphql
from tandem_matching.proposal.graphql import Proposal
from tandem_matching.proposal.graphql import to_graphql as proposal_to_graphql
from tandem_matching.proposal.schemas import ProposalCreate
from tandem_matching.review import service
from tandem_matching.review.schemas import Approve, Override, Reject


@strawberry.type
class ReviewMutation:
    @field(
        description="Rank candidates for a participant and save a pending proposal; with autoApprove, approve "
        "the best one at once (refused for high political risk)."
    )
    async def create_proposal(
        self,
        info: Info[Any, Any],
        intake_id: UUID,
        kind: str | None = None,
        k: int = 5,
        auto_approve: bool = False,
    ) -> Proposal:
        principal = require_scope(info, "matching:decide")
        data = graphql_input(
            ProposalCreate,
            "input",
            {"intake_id": intake_id, "kind": kind, "k": k, "auto_approve": auto_approve},
        )
        async with mutation_session(info) as session:
            proposal = await service.propose(session, principal, consent_gate(info), data)
        return proposal_to_graphql(proposal)

    @field(description="Approve a candidate (the best-ranked when none is named): creates the match.")
    async def approve_proposal(
        self, info: Info[Any, Any], id: UUID, provider_id: UUID | None = None, reason: str | None = None
    ) -> Match:
        principal = require_scope(info, "matching:decide")
        data = graphql_input(Approve, "input", {"provider_id": provider_id, "reason": reason})
        async with mutation_session(info) as session:
            match = await service.approve(
                session, principal, consent_gate(info), id, provider_id=data.provider_id, reason=data.reason
            )
        return match_to_graphql(match)

    @field(description="Reject a proposal with a reason (emits MatchRejected).")
    async def reject_proposal(
        self, info: Info[Any, Any], id: UUID, reason: str, provider_id: UUID | None = None
    ) -> Proposal:
        principal = require_scope(info, "matching:decide")
        data = graphql_input(Reject, "input", {"reason": reason, "provider_id": provider_id})
        async with mutation_session(info) as session:
            proposal = await service.reject(
                session, principal, id, reason=data.reason, provider_id=data.provider_id
            )
        return proposal_to_graphql(proposal)

    @field(
        description="Match a provider of the manager's choosing instead, with a required reason (audited)."
    )
    async def override_proposal(
        self, info: Info[Any, Any], id: UUID, provider_id: UUID, reason: str
    ) -> Match:
        principal = require_scope(info, "matching:decide")
        data = graphql_input(Override, "input", {"provider_id": provider_id, "reason": reason})
        async with mutation_session(info) as session:
            match = await service.override(
                session, principal, consent_gate(info), id, provider_id=data.provider_id, reason=data.reason
            )
        return match_to_graphql(match)
