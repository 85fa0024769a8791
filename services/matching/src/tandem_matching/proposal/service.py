from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.auth import Principal
from tandem_kit.errors import NotFound, Unprocessable
from tandem_kit.events import emit
from tandem_kit.pagination import Page, PageParams, page_of
from tandem_matching import audit, models
from tandem_matching.auth import actor, require_manager
from tandem_matching.consent_client.gate import ConsentGate
from tandem_matching.events import ProposalCreated
from tandem_matching.intake import service as intake_service
from tandem_matching.intake.domain import Track, external_coach_note, kinds_for, open_kinds
from tandem_matching.match import repository as match_repository
from tandem_matching.match.service import AlreadyMatched
from tandem_matching.program import repository as program_repository
from tandem_matching.program import service as program_service
from tandem_matching.program.schemas import Weights
from tandem_matching.proposal import repository
from tandem_matching.proposal.schemas import (
    Candidate,
    DirectoryRuleLeftOut,
    DryRun,
    DryRunRequest,
    ExcludedSignal,
    Proposal,
    SignalExplanation,
)
from tandem_matching.proposal.schemas import Ranking as RankingRead
from tandem_matching.ranking import service as ranking
from tandem_matching.scoring.domain import ALL_SIGNALS, ProviderKind, WeightSet


class KindNotInTrack(Unprocessable):
    """The provider kind asked for is not part of the participant's track (coach, mentor, or both)."""

    code, title = "kind-not-in-track", "Provider kind not part of the participant's track"


class ProposalNotFound(NotFound):
    code, title = "proposal-not-found", "Proposal not found"


class IntakeNotFoundForProposal(NotFound):
    code, title = "intake-not-found", "Intake not found"


def candidates(rows: Sequence[models.ProposalCandidate], *, show_provider_consent: bool) -> list[Candidate]:
    """`show_provider_consent`: which signals a provider withheld is about the provider's consent, so
    only program managers and machine clients see it, not a participant reading their own proposal."""
    return [
        Candidate(
            rank=row.rank,
            provider_id=row.provider_id,
            score=row.score,
            signals=[
                SignalExplanation(signal=s.value, **row.signals[s.value])
                for s in ALL_SIGNALS
                if s.value in row.signals
            ],
            provider_excluded_signals=[
                ExcludedSignal.model_validate(e) for e in row.signals.get(ranking.PROVIDER_EXCLUDED, [])
            ]
            if show_provider_consent
            else [],
        )
        for row in rows
    ]


DIRECTORY_RULE_TEXT = {
    "mentor_seniority": "the mentor-seniority rule (a mentor ranks above the participant's level)",
    "cross_department": "the cross-department rule (a mentor from another department)",
}


def explanation(
    excluded: Sequence[Mapping[str, Any]],
    redistributed: float,
    promotion: bool,
    directory_left_out: Sequence[Mapping[str, str]] = (),
    external_only_cases: Sequence[str] = (),
) -> list[str]:
    notes = [
        f"{e['signal']} was left out because the participant did not consent to "
        f"{', '.join(str(f) for f in e['missing_fields'])} ({float(e['nominal_weight']):.1f} points)."
        for e in excluded
    ]
    if excluded and redistributed:
        notes.append(
            f"The {redistributed:.1f} points they would have carried were redistributed to the included "
            "signals in proportion to their weights."
        )
    if promotion:
        notes.append("Promotion-related pairing: sponsorship history was made to outweigh technical skills.")
    notes.extend(
        f"{DIRECTORY_RULE_TEXT[d['rule']]} was left out: "
        + (
            f"the participant did not consent to {d['field']}."
            if d["why"] == "no_consent"
            else f"the HR directory has no {d['field']} for the participant."
        )
        for d in directory_left_out
    )
    note = external_coach_note(external_only_cases)
    if note:
        notes.append(note)
    return notes


def to_read(
    proposal: models.Proposal, rows: Sequence[models.ProposalCandidate], viewer: Principal
) -> Proposal:
    return Proposal(
        id=proposal.id,
        program_id=proposal.program_id,
        intake_id=proposal.intake_id,
        cohort_id=proposal.cohort_id,
        participant_id=proposal.participant_id,
        provider_kind="coach" if proposal.provider_kind == "coach" else "mentor",
        status=proposal.status,  # type: ignore[arg-type]
        source=proposal.source,
        weight_set_version=proposal.weight_set_version,
        weights_used=proposal.weights_used,
        excluded_signals=[ExcludedSignal.model_validate(e) for e in proposal.excluded_signals],
        redistributed_weight=proposal.redistributed_weight,
        promotion_rule_applied=proposal.promotion_rule_applied,
        consent_notice_version=proposal.consent_notice_version,
        candidates=candidates(rows, show_provider_consent=viewer.sees_everything),
        directory_left_out=[DirectoryRuleLeftOut.model_validate(d) for d in proposal.directory_left_out],
        explanation=explanation(
            proposal.excluded_signals,
            proposal.redistributed_weight,
            proposal.promotion_rule_applied,
            proposal.directory_left_out,
            proposal.external_only_cases,
        ),
        match_id=proposal.match_id,
        created_by=proposal.created_by,
        created_at=proposal.created_at,
        decided_by=proposal.decided_by,
        decided_at=proposal.decided_at,
        decision_reason=proposal.decision_reason,
    )


async def next_kind(session: AsyncSession, intake: models.Intake, requested: str | None) -> ProviderKind:
    """The requested kind (it must be part of the track), else the track's first kind not yet matched."""
    kinds = kinds_for(Track(intake.track))
    if requested is not None:
        kind = ProviderKind(requested)
        if kind not in kinds:
            raise KindNotInTrack(
                f"The {intake.track} track matches {', '.join(k.value for k in kinds)} only.",
                pointer="#/kind",
            )
    else:
        active = {k for i, k in await match_repository.active_kinds(session, [intake.id])}
        completed = {k for i, k in await match_repository.completed_kinds(session, [intake.id])}
        still_open = open_kinds(
            Track(intake.track),
            active=[ProviderKind(k) for k in active],
            completed=[ProviderKind(k) for k in completed],
        )
        kind = still_open[0] if still_open else kinds[0]
    if await match_repository.active_for(session, intake.id, kind.value) is not None:
        raise AlreadyMatched(f"The participant already has an active {kind.value}.")
    return kind


async def save_proposal(
    session: AsyncSession,
    principal: Principal,
    intake: models.Intake,
    result: ranking.Ranking,
    *,
    kind: ProviderKind,
    source: str = "request",
    cohort_id: UUID | None = None,
    first: UUID | None = None,
) -> models.Proposal:
    """Persist a pending proposal (superseding any pending one for the same need) and emit ProposalCreated.

    `first` puts that provider at rank 1 (a cohort run's assignment); the rest keep their order.
    """
    await repository.supersede_pending(session, intake.id, kind.value)
    ordered = sorted(result.candidates, key=lambda c: (c.provider.id != first, c.rank))
    proposal = models.Proposal(
        program_id=intake.program_id,
        intake_id=intake.id,
        cohort_id=cohort_id,
        participant_id=intake.person_id,
        provider_kind=kind.value,
        status="pending",
        source=source,
        weight_set_version=result.summary.version,
        weights_used=result.summary.used,
        consented_fields=sorted(result.consent.fields),
        consent_notice_version=result.consent.notice_version,
        excluded_signals=result.summary.excluded,
        redistributed_weight=result.summary.redistributed,
        promotion_rule_applied=result.summary.promotion_rule_applied,
        directory_left_out=result.directory_left_out,
        external_only_cases=result.external_only_cases,
        created_by=actor(principal),
    )
    session.add(proposal)
    await session.flush()
    session.add_all(
        models.ProposalCandidate(
            proposal_id=proposal.id,
            rank=rank,
            provider_id=c.provider.id,
            score=c.breakdown.total,
            signals=ranking.signals_json(
                c.breakdown, result.weights, promotion_related=intake.promotion_related
            ),
        )
        for rank, c in enumerate(ordered, start=1)
    )
    await session.flush()
    await emit(
        session,
        ProposalCreated(
            proposal_id=proposal.id,
            program_id=proposal.program_id,
            participant_id=proposal.participant_id,
            candidate_count=len(ordered),
            weight_set_version=proposal.weight_set_version,
        ),
    )
    return proposal


async def create_proposal(
    session: AsyncSession,
    principal: Principal,
    gate: ConsentGate,
    intake: models.Intake,
    *,
    kind: str | None,
    k: int,
) -> models.Proposal:
    """Rank providers for the intake's next need and save a pending proposal (approval is review's)."""
    await program_service.require_open(session, intake.program_id)
    chosen = await next_kind(session, intake, kind)
    weights = program_service.weight_set(await program_service.current_weights(session, intake.program_id))
    result = await ranking.rank(session, gate, intake, weights, kind=chosen, k=k)
    return await save_proposal(session, principal, intake, result, kind=chosen)


async def get_proposal(session: AsyncSession, principal: Principal, proposal_id: UUID) -> models.Proposal:
    proposal = await repository.get(session, principal, proposal_id)
    if proposal is None:
        raise ProposalNotFound(f"No proposal with id {proposal_id}.")
    return proposal


async def read(session: AsyncSession, principal: Principal, proposal_id: UUID) -> Proposal:
    proposal = await get_proposal(session, principal, proposal_id)
    return to_read(proposal, await repository.candidates_of(session, [proposal.id]), principal)


async def list_proposals(
    session: AsyncSession, principal: Principal, program_id: UUID, page: PageParams, *, status: str | None
) -> Page[Proposal]:
    await program_service.get_program(session, program_id)
    proposals, total = await repository.list_for_program(session, principal, program_id, page, status=status)
    # Candidates of this page's proposals only, in one query.
    rows = await repository.candidates_of(session, [p.id for p in proposals])
    by_proposal: dict[UUID, list[models.ProposalCandidate]] = {}
    for row in rows:
        by_proposal.setdefault(row.proposal_id, []).append(row)
    return page_of(proposals, total, page, lambda p: to_read(p, by_proposal.get(p.id, []), principal))


def _ranking_read(result: ranking.Ranking, version: int | None, *, promotion_related: bool) -> RankingRead:
    return RankingRead(
        weight_set_version=version,
        weights_used=result.summary.used,
        excluded_signals=[ExcludedSignal.model_validate(e) for e in result.summary.excluded],
        redistributed_weight=result.summary.redistributed,
        candidates=[
            Candidate(
                rank=c.rank,
                provider_id=c.provider.id,
                score=c.breakdown.total,
                signals=[
                    SignalExplanation(signal=s, **v) for s, v in ranking.signals_json(c.breakdown).items()
                ],
                provider_excluded_signals=[
                    ExcludedSignal.model_validate(e)
                    for e in ranking.provider_exclusions(
                        c.breakdown, result.weights, promotion_related=promotion_related
                    )
                ],
            )
            for c in result.candidates
        ],
    )


async def dry_run(
    session: AsyncSession, principal: Principal, gate: ConsentGate, program_id: UUID, data: DryRunRequest
) -> DryRun:
    """Rank one participant with the current and with proposed weights; nothing is saved."""
    require_manager(principal)
    intake = await intake_service.get_intake(session, principal, data.intake_id)
    if intake.program_id != program_id:
        raise IntakeNotFoundForProposal("The intake is not part of this program.", pointer="#/intake_id")
    kinds = kinds_for(Track(intake.track))
    kind = ProviderKind(data.kind) if data.kind else kinds[0]
    current = program_service.weight_set(await program_service.current_weights(session, program_id))
    proposed = WeightSet(**Weights.model_validate(data.weights).as_dict(), version=current.version)
    consent = await ranking.require_consent(gate, intake)
    pool = ranking.sourced_pool(await program_repository.pool(session, program_id, kind.value), intake, kind)
    org = await ranking.org_view(session, pool, [intake])
    index, by_person = ranking.build_index(
        pool,
        await ranking.provider_consents(gate, pool),
        org,
        await ranking.sponsorship_logged(session, pool),
    )
    now = ranking.rank_with(intake, consent, index, by_person, current, kind=kind, k=data.k, org=org)
    then = ranking.rank_with(intake, consent, index, by_person, proposed, kind=kind, k=data.k, org=org)
    return DryRun(
        intake_id=intake.id,
        provider_kind="coach" if kind is ProviderKind.COACH else "mentor",
        current=_ranking_read(now, current.version, promotion_related=intake.promotion_related),
        proposed=_ranking_read(then, None, promotion_related=intake.promotion_related),
    )


CLOSED_BY_HRIS = "system:hris"


async def close_for_person(session: AsyncSession, person_id: UUID, *, reason: str) -> int:
    """Close the participant's pending proposals (the HR directory deactivated them); audited."""
    closed = 0
    for proposal in await repository.pending_of_participant(session, person_id):
        proposal.status = "closed"
        proposal.decided_at = datetime.now(UTC)
        proposal.decided_by = CLOSED_BY_HRIS
        proposal.decision_reason = reason
        audit.record(
            session,
            "closed",
            by=CLOSED_BY_HRIS,
            program_id=proposal.program_id,
            proposal_id=proposal.id,
            intake_id=proposal.intake_id,
            reason=reason,
        )
        closed += 1
    await session.flush()
    return closed
