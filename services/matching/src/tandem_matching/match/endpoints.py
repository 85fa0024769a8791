from uuid import UUID

from fastapi import APIRouter

from tandem_kit.db import SessionDep
from tandem_kit.openapi import problems
from tandem_kit.pagination import Page, PageQuery, page_of
from tandem_matching.auth import MatchingDecide, MatchingRead, ProgramManagerRequired
from tandem_matching.consent_client.dependencies import ConsentGateDep
from tandem_matching.match import service
from tandem_matching.match.schemas import (
    Match,
    MatchEnd,
    Reassign,
    Reassignment,
    ReassignmentRate,
    ReviewClear,
)
from tandem_matching.match.service import (
    AlreadyMatched,
    CoachingSprintActive,
    MatchNotActive,
    MatchNotFlagged,
    MatchNotFound,
    ProviderAtCapacity,
    ProviderNotAdmissible,
    WrongProvider,
)
from tandem_matching.program.service import ProgramNotFound
from tandem_matching.ranking.service import ConsentRequired, ProviderConsentRequired

router = APIRouter(tags=["matches"])


@router.get("/matches/{match_id}", response_model=Match, responses=problems(MatchNotFound))
async def get_match(match_id: UUID, principal: MatchingRead, session: SessionDep) -> Match:
    """Get a match (a person sees only matches they are a party to)."""
    return Match.seen_by(await service.get_match(session, principal, match_id), principal)


@router.get("/programs/{program_id}/matches", response_model=Page[Match], responses=problems(ProgramNotFound))
async def list_matches(
    program_id: UUID, principal: MatchingRead, session: SessionDep, page: PageQuery
) -> Page[Match]:
    """List a program's matches, history included, paged (a person sees only their own)."""
    matches, total = await service.list_matches(session, principal, program_id, page)
    return page_of(matches, total, page, lambda m: Match.seen_by(m, principal))


@router.post(
    "/matches/{match_id}/end",
    response_model=Match,
    responses=problems(ProgramManagerRequired, MatchNotActive, MatchNotFound),
)
async def end_match(match_id: UUID, data: MatchEnd, principal: MatchingDecide, session: SessionDep) -> Match:
    """End an active match with a reason, freeing the provider's place (emits MatchEnded)."""
    match = await service.end(session, principal, match_id, reason=data.reason, note=data.note)
    return Match.seen_by(match, principal)


@router.post(
    "/matches/{match_id}/reassign",
    response_model=Reassignment,
    responses=problems(
        ProgramManagerRequired,
        AlreadyMatched,
        CoachingSprintActive,
        MatchNotActive,
        MatchNotFound,
        ProviderAtCapacity,
        ProviderNotAdmissible,
        WrongProvider,
        ProgramNotFound,
        ConsentRequired,
        ProviderConsentRequired,
    ),
)
async def reassign_match(
    match_id: UUID, data: Reassign, principal: MatchingDecide, session: SessionDep, gate: ConsentGateDep
) -> Reassignment:
    """End a match with a reason and match a new provider (emits MatchEnded, MatchReassigned, MatchApproved)."""
    old, new = await service.reassign(
        session, principal, gate, match_id, provider_id=data.provider_id, reason=data.reason
    )
    return Reassignment(old_match=Match.seen_by(old, principal), new_match=Match.seen_by(new, principal))


@router.post(
    "/matches/{match_id}/review/clear",
    response_model=Match,
    responses=problems(ProgramManagerRequired, MatchNotFlagged, MatchNotFound),
)
async def clear_match_review(
    match_id: UUID, data: ReviewClear, principal: MatchingDecide, session: SessionDep
) -> Match:
    """Clear a match's review flag with a note (audited in the decision log)."""
    return Match.seen_by(await service.clear_review(session, principal, match_id, note=data.note), principal)


@router.get(
    "/programs/{program_id}/reassignment-rate",
    response_model=ReassignmentRate,
    responses=problems(ProgramNotFound),
)
async def get_reassignment_rate(
    program_id: UUID, principal: MatchingRead, session: SessionDep
) -> ReassignmentRate:
    """The program's reassignment rate against the pilot target (< 10%)."""
    return await service.reassignment_rate(session, program_id)
