from typing import Literal
from uuid import UUID

from fastapi import APIRouter

from tandem_kit.db import SessionDep
from tandem_kit.openapi import problems
from tandem_kit.pagination import Page, PageQuery
from tandem_matching.auth import MatchingDecide, MatchingRead, ProgramManagerRequired
from tandem_matching.consent_client.dependencies import ConsentGateDep
from tandem_matching.intake.service import IntakeNotFound
from tandem_matching.program.service import ProgramNotFound
from tandem_matching.proposal import service
from tandem_matching.proposal.schemas import DryRun, DryRunRequest, Proposal
from tandem_matching.proposal.service import IntakeNotFoundForProposal, ProposalNotFound
from tandem_matching.ranking.service import ConsentRequired

router = APIRouter(tags=["proposals"])


@router.get("/proposals/{proposal_id}", response_model=Proposal, responses=problems(ProposalNotFound))
async def get_proposal(proposal_id: UUID, principal: MatchingRead, session: SessionDep) -> Proposal:
    """Get a proposal with its explained candidates."""
    return await service.read(session, principal, proposal_id)


@router.get(
    "/programs/{program_id}/proposals", response_model=Page[Proposal], responses=problems(ProgramNotFound)
)
async def list_proposals(
    program_id: UUID,
    principal: MatchingRead,
    session: SessionDep,
    page: PageQuery,
    status: Literal["pending", "approved", "rejected", "overridden", "superseded", "closed"] | None = None,
) -> Page[Proposal]:
    """List a program's proposals, optionally by status, paged (a participant sees only their own)."""
    return await service.list_proposals(session, principal, program_id, page, status=status)


@router.post(
    "/programs/{program_id}/weights/dry-run",
    response_model=DryRun,
    responses=problems(
        ProgramManagerRequired, IntakeNotFound, ProgramNotFound, ConsentRequired, IntakeNotFoundForProposal
    ),
)
async def dry_run_weights(
    program_id: UUID,
    data: DryRunRequest,
    principal: MatchingDecide,
    session: SessionDep,
    gate: ConsentGateDep,
) -> DryRun:
    """Score a participant with proposed weights next to the current ones, saving nothing."""
    return await service.dry_run(session, principal, gate, program_id, data)
