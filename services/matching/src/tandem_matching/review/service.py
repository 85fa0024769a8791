"""Human review of proposals: approve, reject, override; every decision audited."""

from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.auth import Principal
from tandem_kit.errors import Conflict, NotFound, Unprocessable
from tandem_kit.events import emit
from tandem_kit.pagination import PageParams
from tandem_matching import models
from tandem_matching.auth import actor, require_manager, require_program_staff
from tandem_matching.consent.gate import ConsentGate
from tandem_matching.events import MatchRejected
from tandem_matching.intake import repository as intake_repository
from tandem_matching.intake.domain import is_high_political_risk
from tandem_matching.match import service as match_service
from tandem_matching.program import service as program_service
from tandem_matching.proposal import repository as proposal_repository
from tandem_matching.proposal.ranking import require_consent, require_provider_consent, score_pair
from tandem_matching.provider import repository as provider_repository
from tandem_matching.review import repository
from tandem_matching.scoring.domain import WeightSet


class ProposalNotFound(NotFound):
    code, title = "proposal-not-found", "Proposal not found"


class ProposalDecided(Conflict):
    code, title = "proposal-decided", "Proposal already decided"


class NoCandidates(Conflict):
    code, title = "no-candidates", "Proposal has no candidates"


class NotACandidate(Unprocessable):
    """The provider is not among the proposal's candidates: use override, with a reason."""

    code, title = "not-a-candidate", "Provider is not a candidate of this proposal"


class ManualApprovalRequired(Conflict):
    code, title = "manual-approval-required", "Manual approval required"


async def _pending(session: AsyncSession, principal: Principal, proposal_id: UUID) -> models.Proposal:
    require_manager(principal)
    proposal = await proposal_repository.lock(session, proposal_id)
    if proposal is None:
        raise ProposalNotFound(f"No proposal with id {proposal_id}.")
    if proposal.status != "pending":
        raise ProposalDecided(f"The proposal is already {proposal.status}.", proposal_status=proposal.status)
    return proposal


async def _intake(session: AsyncSession, intake_id: UUID) -> models.Intake:
    return (await intake_repository.by_ids(session, [intake_id]))[0]


def _decided(proposal: models.Proposal, principal: Principal, status: str, reason: str | None) -> None:
    proposal.status = status
    proposal.decided_at = datetime.now(UTC)
    proposal.decided_by = actor(principal)
    proposal.decision_reason = reason


def _pick(
    candidates: Sequence[models.ProposalCandidate], provider_id: UUID | None
) -> models.ProposalCandidate:
    if not candidates:
        raise NoCandidates("The proposal has no candidates: override with a provider, or reject it.")
    if provider_id is None:
        return candidates[0]
    for candidate in candidates:
        if candidate.provider_id == provider_id:
            return candidate
    raise NotACandidate(
        "The provider is not among the proposal's candidates; use override with a reason.",
        pointer="#/provider_id",
    )


async def approve(
    session: AsyncSession,
    principal: Principal,
    gate: ConsentGate,
    proposal_id: UUID,
    *,
    provider_id: UUID | None = None,
    reason: str | None = None,
    automatic: bool = False,
) -> models.Match:
    proposal = await _pending(session, principal, proposal_id)
    intake = await _intake(session, proposal.intake_id)
    if automatic and is_high_political_risk(intake.political_risk_flags):
        raise ManualApprovalRequired(
            "High political risk participants (platform leads, C-suite adjacent, direct budget "
            "authority) always need a program manager's approval.",
            flags=list(intake.political_risk_flags),
        )
    # Consent may have been withdrawn since the proposal was made: ask again, never match silently.
    await require_consent(gate, intake)
    candidate = _pick(await proposal_repository.candidates_of(session, [proposal.id]), provider_id)
    chosen = await provider_repository.by_id(session, candidate.provider_id)
    assert chosen is not None  # a candidate row references its provider
    # The provider's own consent is asked again too: they may have withdrawn since they were ranked.
    provider_consent = await require_provider_consent(gate, chosen)
    match = await match_service.open_match(
        session,
        principal,
        intake=intake,
        provider_id=candidate.provider_id,
        score=candidate.score,
        proposal_id=proposal.id,
        provider_consent=provider_consent,
    )
    _decided(proposal, principal, "approved", reason)
    proposal.match_id = match.id
    session.add(
        models.Decision(
            program_id=proposal.program_id,
            action="auto_approved" if automatic else "approved",
            actor=actor(principal),
            proposal_id=proposal.id,
            match_id=match.id,
            intake_id=intake.id,
            provider_id=candidate.provider_id,
            score=candidate.score,
            reason=reason,
            details={"rank": candidate.rank, "weight_set_version": proposal.weight_set_version},
        )
    )
    await session.flush()
    return match


async def reject(
    session: AsyncSession, principal: Principal, proposal_id: UUID, *, reason: str, provider_id: UUID | None
) -> models.Proposal:
    proposal = await _pending(session, principal, proposal_id)
    candidates = await proposal_repository.candidates_of(session, [proposal.id])
    candidate = _pick(candidates, provider_id) if candidates or provider_id else None
    _decided(proposal, principal, "rejected", reason)
    session.add(
        models.Decision(
            program_id=proposal.program_id,
            action="rejected",
            actor=actor(principal),
            proposal_id=proposal.id,
            intake_id=proposal.intake_id,
            provider_id=candidate.provider_id if candidate else None,
            score=candidate.score if candidate else None,
            reason=reason,
            details={},
        )
    )
    await session.flush()
    await emit(
        session,
        MatchRejected(
            proposal_id=proposal.id,
            program_id=proposal.program_id,
            participant_id=proposal.participant_id,
            provider_id=candidate.provider_id if candidate else None,
            reason=reason,
            rejected_by=actor(principal),
        ),
    )
    return proposal


async def override(
    session: AsyncSession,
    principal: Principal,
    gate: ConsentGate,
    proposal_id: UUID,
    *,
    provider_id: UUID,
    reason: str,
) -> models.Match:
    """Match with a provider of the manager's choosing; hard filters still hold, the reason is audited."""
    proposal = await _pending(session, principal, proposal_id)
    intake = await _intake(session, proposal.intake_id)
    consent = await require_consent(gate, intake)
    provider = await provider_repository.by_id(session, provider_id)
    if (
        provider is None
        or provider.program_id != proposal.program_id
        or provider.kind != proposal.provider_kind
    ):
        raise match_service.WrongProvider(
            f"The provider must be a {proposal.provider_kind} of the same program.", pointer="#/provider_id"
        )
    versions = await program_service.weight_versions(session, proposal.program_id)
    version = next(v for v in versions if v.version == proposal.weight_set_version)
    weights: WeightSet = program_service.weight_set(version)
    provider_consent = await require_provider_consent(gate, provider)
    breakdown = score_pair(intake, provider, consent, weights, provider_consent)
    candidates = await proposal_repository.candidates_of(session, [proposal.id])
    match = await match_service.open_match(
        session,
        principal,
        intake=intake,
        provider_id=provider.id,
        score=breakdown.total,
        proposal_id=proposal.id,
        provider_consent=provider_consent,
    )
    _decided(proposal, principal, "overridden", reason)
    proposal.match_id = match.id
    session.add(
        models.Decision(
            program_id=proposal.program_id,
            action="overridden",
            actor=actor(principal),
            proposal_id=proposal.id,
            match_id=match.id,
            intake_id=intake.id,
            provider_id=provider.id,
            score=breakdown.total,
            reason=reason,
            details={
                "proposed_provider_id": str(candidates[0].provider_id) if candidates else None,
                "proposed_score": candidates[0].score if candidates else None,
            },
        )
    )
    await session.flush()
    return match


async def list_decisions(
    session: AsyncSession, principal: Principal, program_id: UUID, page: PageParams
) -> tuple[Sequence[models.Decision], int]:
    require_program_staff(principal)
    await program_service.get_program(session, program_id)
    return await repository.list_for_program(session, program_id, page)
