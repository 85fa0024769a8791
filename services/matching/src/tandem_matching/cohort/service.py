"""Cohort assignment: the whole cohort at once, maximising the total score under capacity."""

from dataclasses import replace
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.auth import Principal
from tandem_kit.errors import Unprocessable
from tandem_matching import models
from tandem_matching.assignment.domain import assign
from tandem_matching.auth import actor, require_manager
from tandem_matching.cohort.schemas import (
    AssignedPair,
    AssignmentRequest,
    AssignmentRun,
    ScoreDistribution,
    UnmatchedParticipant,
)
from tandem_matching.consent.gate import ConsentGate
from tandem_matching.intake import repository as intake_repository
from tandem_matching.intake.domain import Track, kinds_for
from tandem_matching.match import repository as match_repository
from tandem_matching.program import service as program_service
from tandem_matching.proposal import ranking
from tandem_matching.proposal import service as proposal_service
from tandem_matching.provider import repository as provider_repository
from tandem_matching.scoring.domain import ProviderKind
from tandem_matching.scoring.ranking import ProviderIndex


class InvalidLockedPair(Unprocessable):
    """A locked pair is impossible: the participant is not in the cohort, is already matched or has
    not consented, or the provider may not be matched with them."""

    code, title = "invalid-locked-pair", "Locked pair is not possible"


async def run_assignment(
    session: AsyncSession,
    principal: Principal,
    gate: ConsentGate,
    cohort_id: UUID,
    data: AssignmentRequest,
    *,
    dry_run: bool,
) -> AssignmentRun:
    require_manager(principal)
    cohort = await program_service.get_cohort(session, cohort_id)
    weights = program_service.weight_set(await program_service.current_weights(session, cohort.program_id))
    intakes = await intake_repository.in_cohort(session, cohort.id)
    active = await match_repository.active_kinds(session, [i.id for i in intakes])
    unmatched: list[UnmatchedParticipant] = []
    needs: dict[UUID, tuple[models.Intake, ProviderKind]] = {}
    for intake in intakes:
        open_kinds = [k for k in kinds_for(Track(intake.track)) if (intake.id, k.value) not in active]
        if not open_kinds:
            unmatched.append(
                UnmatchedParticipant(
                    intake_id=intake.id, participant_id=intake.person_id, reason="already_matched"
                )
            )
            continue
        needs[intake.id] = (intake, open_kinds[0])
    pools = {
        kind: await provider_repository.pool(session, cohort.program_id, kind.value)
        for kind in {kind for _, kind in needs.values()}
    }
    # Participants and every pool member in one batched (cached) call: providers need their own
    # `matching` consent to be ranked or locked.
    consents = await gate.check(
        [
            *(intake.person_id for intake, _ in needs.values()),
            *(p.person_id for pool in pools.values() for p in pool),
        ]
    )
    indexes: dict[ProviderKind, tuple[ProviderIndex, dict[UUID, models.Provider]]] = {}
    capacities: dict[UUID, int] = {}
    for kind, pool in pools.items():
        indexes[kind] = ranking.build_index(pool, consents)
        capacities.update({p.id: p.capacity - p.active_load for p in pool})
    rankings: dict[UUID, ranking.Ranking] = {}
    for intake_id, (intake, kind) in needs.items():
        consent = consents[intake.person_id]
        if not consent.granted:
            unmatched.append(
                UnmatchedParticipant(
                    intake_id=intake_id, participant_id=intake.person_id, reason="consent_required"
                )
            )
            continue
        index, by_person = indexes[kind]
        rankings[intake_id] = ranking.rank_with(
            intake, consent, index, by_person, weights, kind=kind, k=data.prune_k
        )
    locked: dict[UUID, UUID] = {}
    for i, pair in enumerate(data.locked):
        if pair.intake_id not in rankings:
            raise InvalidLockedPair(
                "The participant is not in the cohort, is already matched, or has not consented.",
                pointer=f"#/locked/{i}/intake_id",
            )
        intake, kind = needs[pair.intake_id]
        provider = next((p for p in pools[kind] if p.id == pair.provider_id), None)
        reasons = (
            ranking.admissibility(intake, provider, consents[provider.person_id])
            if provider is not None
            else ["not_in_program"]
        )
        if reasons:
            raise InvalidLockedPair(
                f"The provider cannot be locked to this participant: {', '.join(reasons)}.",
                pointer=f"#/locked/{i}/provider_id",
                reasons=reasons,
            )
        assert provider is not None
        result = rankings[pair.intake_id]
        if all(c.provider.id != provider.id for c in result.candidates):
            breakdown = ranking.score_pair(
                intake, provider, result.consent, weights, consents[provider.person_id]
            )
            extra = ranking.Ranked(provider, len(result.candidates) + 1, breakdown)
            rankings[pair.intake_id] = replace(result, candidates=[*result.candidates, extra])
        locked[pair.intake_id] = provider.id
    candidates = {
        intake_id: [(c.provider.id, c.breakdown.total) for c in result.candidates]
        for intake_id, result in rankings.items()
    }
    outcome = assign(list(rankings), candidates, capacities, locked=locked, prune_k=data.prune_k)
    pairs: list[AssignedPair] = []
    for assigned in outcome.pairs:
        intake, kind = needs[assigned.participant_id]
        proposal_id = None
        if not dry_run:
            proposal = await proposal_service.save_proposal(
                session,
                principal,
                intake,
                rankings[intake.id],
                kind=kind,
                source="cohort_assignment",
                cohort_id=cohort.id,
                first=assigned.provider_id,
            )
            proposal_id = proposal.id
        pairs.append(
            AssignedPair(
                intake_id=intake.id,
                participant_id=intake.person_id,
                provider_id=assigned.provider_id,
                provider_kind="coach" if kind is ProviderKind.COACH else "mentor",
                score=assigned.score,
                locked=assigned.locked,
                proposal_id=proposal_id,
            )
        )
    unmatched.extend(
        UnmatchedParticipant(
            intake_id=u.participant_id,
            participant_id=needs[u.participant_id][0].person_id,
            reason=u.reason.value,
        )
        for u in outcome.unmatched
    )
    needing = len(needs)
    run = AssignmentRun(
        cohort_id=cohort.id,
        dry_run=dry_run,
        weight_set_version=weights.version,
        participants=needing,
        coverage=len(pairs) / needing if needing else 1.0,
        total_score=outcome.total_score,
        distribution=ScoreDistribution(**vars(outcome.distribution)) if outcome.distribution else None,
        pairs=pairs,
        unmatched=unmatched,
    )
    if not dry_run:
        session.add(
            models.Decision(
                program_id=cohort.program_id,
                action="cohort_assigned",
                actor=actor(principal),
                reason=None,
                details={
                    "cohort_id": str(cohort.id),
                    "coverage": run.coverage,
                    "total_score": run.total_score,
                    "pairs": len(pairs),
                    "locked": len(locked),
                    "unmatched": len(unmatched),
                },
            )
        )
        await session.flush()
    return run
