"""Cohort assignment: the whole cohort at once, maximising the total score under capacity."""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.auth import Principal
from tandem_kit.errors import Unprocessable
from tandem_matching import audit, models
from tandem_matching.assignment.domain import AssignmentResult, assign
from tandem_matching.auth import actor, require_manager
from tandem_matching.cohort.schemas import (
    AssignedPair,
    AssignmentRequest,
    AssignmentRun,
    LockedPair,
    ScoreDistribution,
    UnmatchedParticipant,
)
from tandem_matching.consent_client.gate import ConsentDecision, ConsentGate
from tandem_matching.directory.domain import OrgView
from tandem_matching.intake import repository as intake_repository
from tandem_matching.intake.domain import Track, kinds_for, open_kinds
from tandem_matching.match import repository as match_repository
from tandem_matching.program import repository as program_repository
from tandem_matching.program import service as program_service
from tandem_matching.proposal import service as proposal_service
from tandem_matching.ranking import service as ranking
from tandem_matching.scoring.domain import ProviderKind, WeightSet
from tandem_matching.scoring.index import ProviderIndex


class InvalidLockedPair(Unprocessable):
    """A locked pair is impossible: the participant is not in the cohort, is already matched or has
    not consented, or the provider may not be matched with them."""

    code, title = "invalid-locked-pair", "Locked pair is not possible"


Need = tuple[models.Intake, ProviderKind]
"""A participant still to match and the provider kind they need next."""


@dataclass
class _Ranked:
    """The cohort ranked: what the solver works on, and who could not be ranked."""

    rankings: dict[UUID, ranking.Ranking]
    capacities: dict[UUID, int]
    unmatched: list[UnmatchedParticipant]


async def run_assignment(
    session: AsyncSession,
    principal: Principal,
    gate: ConsentGate,
    cohort_id: UUID,
    data: AssignmentRequest,
    *,
    dry_run: bool,
) -> AssignmentRun:
    """Rank every open need of the cohort, solve for the best total score under capacity with the
    locked pairs held, then (unless a dry run) save one proposal per pair and audit the run."""
    require_manager(principal)
    cohort = await program_service.get_cohort(session, cohort_id)
    if not dry_run:
        await program_service.require_open(session, cohort.program_id)
    weights = program_service.weight_set(await program_service.current_weights(session, cohort.program_id))
    needs, already_matched = await _open_needs(session, cohort.id)
    pools = {
        kind: await program_repository.pool(session, cohort.program_id, kind.value)
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
    org = await ranking.org_view(
        session, [p for pool in pools.values() for p in pool], [intake for intake, _ in needs.values()]
    )
    logged = await ranking.sponsorship_logged(session, [p for pool in pools.values() for p in pool])
    ranked = _rank_needs(needs, pools, consents, weights, k=data.prune_k, org=org, logged=logged)
    locked = _lock_pairs(data.locked, needs, pools, consents, weights, ranked.rankings, org, logged)
    candidates = {
        intake_id: [(c.provider.id, c.breakdown.total) for c in result.candidates]
        for intake_id, result in ranked.rankings.items()
    }
    outcome = assign(
        list(ranked.rankings), candidates, ranked.capacities, locked=locked, prune_k=data.prune_k
    )
    pairs = await _pairs(session, principal, cohort, outcome, needs, ranked.rankings, save=not dry_run)
    unmatched = [*already_matched, *ranked.unmatched, *_unassigned(outcome, needs)]
    run = AssignmentRun(
        cohort_id=cohort.id,
        dry_run=dry_run,
        weight_set_version=weights.version,
        participants=len(needs),
        coverage=len(pairs) / len(needs) if needs else 1.0,
        total_score=outcome.total_score,
        distribution=ScoreDistribution(**vars(outcome.distribution)) if outcome.distribution else None,
        pairs=pairs,
        unmatched=unmatched,
    )
    if not dry_run:
        audit.record(
            session,
            "cohort_assigned",
            by=actor(principal),
            program_id=cohort.program_id,
            details={
                "cohort_id": str(cohort.id),
                "coverage": run.coverage,
                "total_score": run.total_score,
                "pairs": len(pairs),
                "locked": len(locked),
                "unmatched": len(unmatched),
            },
        )
        await session.flush()
    return run


async def _open_needs(
    session: AsyncSession, cohort_id: UUID
) -> tuple[dict[UUID, Need], list[UnmatchedParticipant]]:
    """Each cohort participant's next unmatched kind; those with none left are `already_matched`."""
    intakes = await intake_repository.in_cohort(session, cohort_id)
    active = await match_repository.active_kinds(session, [i.id for i in intakes])
    completed = await match_repository.completed_kinds(session, [i.id for i in intakes])
    needs: dict[UUID, Need] = {}
    done: list[UnmatchedParticipant] = []
    for intake in intakes:
        kinds = kinds_for(Track(intake.track))
        still_open = open_kinds(
            Track(intake.track),
            active=[k for k in kinds if (intake.id, k.value) in active],
            completed=[k for k in kinds if (intake.id, k.value) in completed],
        )
        if not still_open:
            done.append(
                UnmatchedParticipant(
                    intake_id=intake.id, participant_id=intake.person_id, reason="already_matched"
                )
            )
            continue
        needs[intake.id] = (intake, still_open[0])
    return needs, done


def _rank_needs(
    needs: dict[UUID, Need],
    pools: dict[ProviderKind, Sequence[models.Provider]],
    consents: dict[UUID, ConsentDecision],
    weights: WeightSet,
    *,
    k: int,
    org: OrgView,
    logged: dict[UUID, int],
) -> _Ranked:
    """Rank each consenting participant against their kind's pool (one index per kind, and one of the
    external coaches for the cases the seed routes to them)."""
    indexes: dict[tuple[ProviderKind, bool], tuple[ProviderIndex, dict[UUID, models.Provider]]] = {}
    capacities: dict[UUID, int] = {}
    for kind, pool in pools.items():
        indexes[kind, False] = ranking.build_index(pool, consents, org, logged)
        if kind is ProviderKind.COACH:
            external = [p for p in pool if p.sourcing == "external"]
            indexes[kind, True] = ranking.build_index(external, consents, org, logged)
        capacities.update({p.id: p.capacity - p.active_load for p in pool})
    rankings: dict[UUID, ranking.Ranking] = {}
    unmatched: list[UnmatchedParticipant] = []
    for intake_id, (intake, kind) in needs.items():
        consent = consents[intake.person_id]
        if not consent.granted:
            unmatched.append(
                UnmatchedParticipant(
                    intake_id=intake_id, participant_id=intake.person_id, reason="consent_required"
                )
            )
            continue
        index, by_person = indexes[kind, bool(ranking.external_only(intake, kind))]
        rankings[intake_id] = ranking.rank_with(
            intake, consent, index, by_person, weights, kind=kind, k=k, org=org
        )
    return _Ranked(rankings, capacities, unmatched)


def _lock_pairs(
    pairs: Sequence[LockedPair],
    needs: dict[UUID, Need],
    pools: dict[ProviderKind, Sequence[models.Provider]],
    consents: dict[UUID, ConsentDecision],
    weights: WeightSet,
    rankings: dict[UUID, ranking.Ranking],
    org: OrgView,
    logged: dict[UUID, int],
) -> dict[UUID, UUID]:
    """Check each locked pair (422 naming it when impossible); a locked provider ranked below the
    cut is added to the participant's candidates, so the solver can hold the pair."""
    locked: dict[UUID, UUID] = {}
    for i, pair in enumerate(pairs):
        if pair.intake_id not in rankings:
            raise InvalidLockedPair(
                "The participant is not in the cohort, is already matched, or has not consented.",
                pointer=f"#/locked/{i}/intake_id",
            )
        intake, kind = needs[pair.intake_id]
        provider = next((p for p in pools[kind] if p.id == pair.provider_id), None)
        reasons = (
            ranking.admissibility(intake, provider, consents[provider.person_id], org)
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
                intake,
                provider,
                result.consent,
                weights,
                consents[provider.person_id],
                logged.get(provider.person_id),
            )
            extra = ranking.Ranked(provider, len(result.candidates) + 1, breakdown)
            rankings[pair.intake_id] = replace(result, candidates=[*result.candidates, extra])
        locked[pair.intake_id] = provider.id
    return locked


async def _pairs(
    session: AsyncSession,
    principal: Principal,
    cohort: models.Cohort,
    outcome: AssignmentResult,
    needs: dict[UUID, Need],
    rankings: dict[UUID, ranking.Ranking],
    *,
    save: bool,
) -> list[AssignedPair]:
    """The solver's pairs as returned; with `save`, each becomes a pending proposal, its pair first."""
    pairs: list[AssignedPair] = []
    for assigned in outcome.pairs:
        intake, kind = needs[assigned.participant_id]
        proposal_id = None
        if save:
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
    return pairs


def _unassigned(outcome: AssignmentResult, needs: dict[UUID, Need]) -> list[UnmatchedParticipant]:
    return [
        UnmatchedParticipant(
            intake_id=u.participant_id,
            participant_id=needs[u.participant_id][0].person_id,
            reason=u.reason.value,
        )
        for u in outcome.unmatched
    ]
