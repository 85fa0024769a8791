"""Human review of proposals: approve, reject, override; every decision audited."""

from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.auth import Principal
from tandem_kit.errors import Conflict, Unprocessable
from tandem_kit.events import emit
from tandem_kit.pagination import PageParams
from tandem_matching import audit, models
from tandem_matching.auth import actor, require_manager, require_program_staff
from tandem_matching.consent_client.gate import ConsentGate
from tandem_matching.events import MatchRejected
from tandem_matching.intake import repository as intake_repository
from tandem_matching.intake import service as intake_service
from tandem_matching.intake.domain import is_high_political_risk
from tandem_matching.match import service as match_service
from tandem_matching.program import service as program_service
from tandem_matching.proposal import repository as proposal_repository
from tandem_matching.proposal import service as proposal_service
from tandem_matching.proposal.schemas import ProposalCreate
from tandem_matching.proposal.service import ProposalNotFound
from tandem_matching.provider import repository as provider_repository
from tandem_matching.ranking.service import (
    require_consent,
    require_provider_consent,
    score_pair,
    sponsorship_logged,
)
from tandem_matching.review import repository
from tandem_matching.scoring.domain import WeightSet


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


async def propose(
    session: AsyncSession, principal: Principal, gate: ConsentGate, data: ProposalCreate
) -> models.Proposal:
    """Rank and save a proposal; with `auto_approve`, approve its best candidate in the same request."""
    require_manager(principal)
    intake = await intake_service.get_intake(session, principal, data.intake_id)
    if data.auto_approve and is_high_political_risk(intake.political_risk_flags):
        raise ManualApprovalRequired(
            "High political risk participants (platform leads, C-suite adjacent, direct budget "
            "authority) are never auto-approved: request the proposal without auto_approve.",
            flags=list(intake.political_risk_flags),
            pointer="#/auto_approve",
        )
    proposal = await proposal_service.create_proposal(
        session, principal, gate, intake, kind=data.kind, k=data.k
    )
    if data.auto_approve:
        await approve(session, principal, gate, proposal.id, automatic=True)
    return proposal


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
    await program_service.require_open(session, proposal.program_id)
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
    if automatic and is_high_political_risk((), provider_sensitive_role=chosen.sensitive_role):
        raise ManualApprovalRequired(
            f"The best candidate's own role is sensitive ({chosen.kind} {chosen.id}): the match is high "
            "political risk and needs a program manager's approval.",
            rule="provider-sensitive-role",
            provider_id=str(chosen.id),
            pointer="#/auto_approve",
        )
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
    audit.about_match(
        session,
        "auto_approved" if automatic else "approved",
        match,
        score=match.score,
        by=actor(principal),
        proposal_id=proposal.id,
        reason=reason,
        details={"rank": candidate.rank, "weight_set_version": proposal.weight_set_version},
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
    audit.record(
        session,
        "rejected",
        by=actor(principal),
        program_id=proposal.program_id,
        proposal_id=proposal.id,
        intake_id=proposal.intake_id,
        provider_id=candidate.provider_id if candidate else None,
        score=candidate.score if candidate else None,
        reason=reason,
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
    await program_service.require_open(session, proposal.program_id)
    intake = await _intake(session, proposal.intake_id)
    consent = await require_consent(gate, intake)
    provider = match_service.same_program_and_kind(
        await provider_repository.by_id(session, provider_id),
        program_id=proposal.program_id,
        kind=proposal.provider_kind,
    )
    versions = await program_service.weight_versions(session, proposal.program_id)
    version = next(v for v in versions if v.version == proposal.weight_set_version)
    weights: WeightSet = program_service.weight_set(version)
    provider_consent = await require_provider_consent(gate, provider)
    logged = await sponsorship_logged(session, [provider])
    breakdown = score_pair(
        intake, provider, consent, weights, provider_consent, logged.get(provider.person_id)
    )
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
    audit.about_match(
        session,
        "overridden",
        match,
        score=match.score,
        by=actor(principal),
        proposal_id=proposal.id,
        reason=reason,
        details={
            "proposed_provider_id": str(candidates[0].provider_id) if candidates else None,
            "proposed_score": candidates[0].score if candidates else None,
        },
    )
    await session.flush()
    return match


async def list_decisions(
    session: AsyncSession, principal: Principal, program_id: UUID, page: PageParams
) -> tuple[Sequence[models.Decision], int]:
    require_program_staff(principal)
    await program_service.get_program(session, program_id)
    return await repository.list_for_program(session, program_id, page)
