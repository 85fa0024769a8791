from uuid import UUID

from fastapi import APIRouter, status

from tandem_kit.db import SessionDep
from tandem_kit.openapi import problems
from tandem_kit.pagination import Page, PageQuery, page_of
from tandem_matching.auth import MatchingDecide, MatchingRead, ProgramManagerRequired
from tandem_matching.consent_client.dependencies import ConsentGateDep
from tandem_matching.intake.service import IntakeNotFound
from tandem_matching.match.schemas import Match
from tandem_matching.match.service import (
    AlreadyMatched,
    CoachingSprintActive,
    ProviderAtCapacity,
    ProviderNotAdmissible,
    WrongProvider,
)
from tandem_matching.program.service import ProgramClosed, ProgramNotFound, ProgramPaused
from tandem_matching.proposal import service as proposal_service
from tandem_matching.proposal.schemas import Proposal, ProposalCreate
from tandem_matching.proposal.service import KindNotInTrack, ProposalNotFound
from tandem_matching.ranking.service import ConsentRequired, ProviderConsentRequired
from tandem_matching.review import service
from tandem_matching.review.schemas import Approve, Decision, Override, Reject
from tandem_matching.review.service import (
    ManualApprovalRequired,
    NoCandidates,
    NotACandidate,
    ProposalDecided,
)

router = APIRouter(tags=["review"])
proposing = APIRouter(tags=["proposals"])
"""`POST /proposals` lives here, under the proposals tag: with `auto_approve` it is a review decision."""


@proposing.post(
    "/proposals",
    response_model=Proposal,
    status_code=status.HTTP_201_CREATED,
    responses=problems(
        ProgramManagerRequired,
        ProgramPaused,
        ProgramClosed,
        IntakeNotFound,
        AlreadyMatched,
        CoachingSprintActive,
        ProviderAtCapacity,
        ProviderNotAdmissible,
        WrongProvider,
        ProgramNotFound,
        ConsentRequired,
        ProviderConsentRequired,
        KindNotInTrack,
        ManualApprovalRequired,
        NoCandidates,
        NotACandidate,
        ProposalDecided,
        ProposalNotFound,
    ),
)
async def create_proposal(
    data: ProposalCreate, principal: MatchingDecide, session: SessionDep, gate: ConsentGateDep
) -> Proposal:
    """Rank candidates for a participant (409 consent-required without `matching` consent)."""
    proposal = await service.propose(session, principal, gate, data)
    return await proposal_service.read(session, principal, proposal.id)


@router.post(
    "/proposals/{proposal_id}/approve",
    response_model=Match,
    responses=problems(
        ProgramManagerRequired,
        ProgramPaused,
        ProgramClosed,
        AlreadyMatched,
        CoachingSprintActive,
        ProviderAtCapacity,
        ProviderNotAdmissible,
        WrongProvider,
        ConsentRequired,
        ProviderConsentRequired,
        ManualApprovalRequired,
        NoCandidates,
        NotACandidate,
        ProposalDecided,
        ProposalNotFound,
    ),
)
async def approve_proposal(
    proposal_id: UUID, data: Approve, principal: MatchingDecide, session: SessionDep, gate: ConsentGateDep
) -> Match:
    """Approve a candidate (the best-ranked when none is named): creates the match, emits MatchApproved."""
    match = await service.approve(
        session, principal, gate, proposal_id, provider_id=data.provider_id, reason=data.reason
    )
    return Match.model_validate(match)


@router.post(
    "/proposals/{proposal_id}/reject",
    response_model=Proposal,
    responses=problems(
        ProgramManagerRequired, NoCandidates, NotACandidate, ProposalDecided, ProposalNotFound
    ),
)
async def reject_proposal(
    proposal_id: UUID, data: Reject, principal: MatchingDecide, session: SessionDep
) -> Proposal:
    """Reject a proposal with a reason (emits MatchRejected)."""
    proposal = await service.reject(
        session, principal, proposal_id, reason=data.reason, provider_id=data.provider_id
    )
    return await proposal_service.read(session, principal, proposal.id)


@router.post(
    "/proposals/{proposal_id}/override",
    response_model=Match,
    responses=problems(
        ProgramManagerRequired,
        ProgramPaused,
        ProgramClosed,
        AlreadyMatched,
        CoachingSprintActive,
        ProviderAtCapacity,
        ProviderNotAdmissible,
        WrongProvider,
        ProgramNotFound,
        ConsentRequired,
        ProviderConsentRequired,
        ProposalDecided,
        ProposalNotFound,
    ),
)
async def override_proposal(
    proposal_id: UUID, data: Override, principal: MatchingDecide, session: SessionDep, gate: ConsentGateDep
) -> Match:
    """Match a provider of the manager's choosing, with a required reason (audited)."""
    match = await service.override(
        session, principal, gate, proposal_id, provider_id=data.provider_id, reason=data.reason
    )
    return Match.model_validate(match)


@router.get(
    "/programs/{program_id}/decisions",
    response_model=Page[Decision],
    responses=problems(ProgramManagerRequired, ProgramNotFound),
)
async def list_decisions(
    program_id: UUID, principal: MatchingRead, session: SessionDep, page: PageQuery
) -> Page[Decision]:
    """Review decisions of a program, oldest first, paged: who, when, what score, what reason."""
    decisions, total = await service.list_decisions(session, principal, program_id, page)
    return page_of(decisions, total, page, Decision.model_validate)
