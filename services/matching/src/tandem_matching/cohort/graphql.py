"""The cohort assignment mutation (the same service call, scope and checks as REST)."""

from typing import Any
from uuid import UUID

import strawberry
from strawberry.types import Info

from tandem_kit.graphql import JSONInput, field, graphql_input, mutation_session, require_scope
from tandem_matching.cohort import schemas, service
from tandem_matching.match.graphql import consent_gate


@strawberry.type(description="One participant assigned to a provider by a cohort run.")
class AssignedPair:
    intake_id: strawberry.ID
    participant_id: strawberry.ID
    provider_id: strawberry.ID
    provider_kind: str
    score: float
    locked: bool = strawberry.field(description="Fixed by a manager.")
    proposal_id: strawberry.ID | None = strawberry.field(description="The pending proposal (real runs only).")


@strawberry.type(description="A participant the run left out, and why.")
class UnmatchedParticipant:
    intake_id: strawberry.ID
    participant_id: strawberry.ID
    reason: str = strawberry.field(
        description="consent_required, no_eligible_candidate, capacity_exhausted, pruned or already_matched."
    )


@strawberry.type(description="A cohort assignment run: who gets whom under capacity, and who is left out.")
class AssignmentRun:
    cohort_id: strawberry.ID
    dry_run: bool
    weight_set_version: int
    participants: int
    coverage: float
    total_score: float
    pairs: list[AssignedPair]
    unmatched: list[UnmatchedParticipant]


def _id(value: UUID) -> strawberry.ID:
    return strawberry.ID(str(value))


def to_graphql(run: schemas.AssignmentRun) -> AssignmentRun:
    return AssignmentRun(
        cohort_id=_id(run.cohort_id),
        dry_run=run.dry_run,
        weight_set_version=run.weight_set_version,
        participants=run.participants,
        coverage=run.coverage,
        total_score=run.total_score,
        pairs=[
            AssignedPair(
                intake_id=_id(p.intake_id),
                participant_id=_id(p.participant_id),
                provider_id=_id(p.provider_id),
                provider_kind=p.provider_kind,
                score=p.score,
                locked=p.locked,
                proposal_id=_id(p.proposal_id) if p.proposal_id else None,
            )
            for p in run.pairs
        ],
        unmatched=[
            UnmatchedParticipant(
                intake_id=_id(u.intake_id), participant_id=_id(u.participant_id), reason=u.reason
            )
            for u in run.unmatched
        ],
    )


@strawberry.type
class CohortMutation:
    @field(
        description="Assign a whole cohort under capacity (input: REST's body: locked pairs, pruneK); a real "
        "run (dryRun: false) creates pending proposals."
    )
    async def run_cohort_assignment(
        self,
        info: Info[Any, Any],
        cohort_id: UUID,
        input: JSONInput | None = None,
        dry_run: bool = True,
    ) -> AssignmentRun:
        principal = require_scope(info, "matching:decide")
        data = graphql_input(schemas.AssignmentRequest, "input", input or {})
        async with mutation_session(info) as session:
            run = await service.run_assignment(
                session, principal, consent_gate(info), cohort_id, data, dry_run=dry_run
            )
        return to_graphql(run)
