from uuid import UUID

from fastapi import APIRouter

from tandem_kit.db import SessionDep
from tandem_kit.openapi import problems
from tandem_kit.pagination import Page, PageQuery, page_of
from tandem_matching.auth import MatchingRead, MatchingWrite
from tandem_matching.sponsor import service
from tandem_matching.sponsor.schemas import (
    SponsorAction,
    SponsorActionCreate,
    SponsorActionUpdate,
    SponsorSummary,
)
from tandem_matching.sponsor.service import (
    InvalidActionDate,
    MentorMatchNotFound,
    MentorRequired,
    SponsorActionNotFound,
    SponsorActionRetractedAlready,
)

router = APIRouter(tags=["sponsor-actions"])

PATH = "/matches/{match_id}/sponsor-actions"


@router.post(
    PATH,
    response_model=SponsorAction,
    status_code=201,
    responses=problems(MentorMatchNotFound, MentorRequired, InvalidActionDate),
)
async def log_sponsor_action(
    match_id: UUID, data: SponsorActionCreate, principal: MatchingWrite, session: SessionDep
) -> SponsorAction:
    """Log a sponsor action for a mentee (the mentor, a program manager or the HRIS; emits SponsorActionLogged)."""
    return SponsorAction.model_validate(await service.log_action(session, principal, match_id, data))


@router.get(PATH, response_model=Page[SponsorAction], responses=problems(MentorMatchNotFound))
async def list_sponsor_actions(
    match_id: UUID, principal: MatchingRead, session: SessionDep, page: PageQuery
) -> Page[SponsorAction]:
    """List a mentor match's sponsor actions, retracted ones included, paged (parties and managers)."""
    rows, total = await service.list_actions(session, principal, match_id, page)
    return page_of(rows, total, page, SponsorAction.model_validate)


@router.patch(
    PATH + "/{action_id}",
    response_model=SponsorAction,
    responses=problems(
        MentorMatchNotFound,
        SponsorActionNotFound,
        MentorRequired,
        InvalidActionDate,
        SponsorActionRetractedAlready,
    ),
)
async def correct_sponsor_action(
    match_id: UUID, action_id: UUID, data: SponsorActionUpdate, principal: MatchingWrite, session: SessionDep
) -> SponsorAction:
    """Correct a sponsor action (emits SponsorActionLogged again, same id)."""
    return SponsorAction.model_validate(
        await service.correct_action(session, principal, match_id, action_id, data)
    )


@router.post(
    PATH + "/{action_id}/retract",
    response_model=SponsorAction,
    responses=problems(MentorMatchNotFound, SponsorActionNotFound, MentorRequired),
)
async def retract_sponsor_action(
    match_id: UUID, action_id: UUID, principal: MatchingWrite, session: SessionDep
) -> SponsorAction:
    """Retract a sponsor action: kept, counted nowhere (emits SponsorActionRetracted)."""
    return SponsorAction.model_validate(await service.retract_action(session, principal, match_id, action_id))


@router.get(
    "/matches/{match_id}/sponsor-summary",
    response_model=SponsorSummary,
    responses=problems(MentorMatchNotFound),
)
async def get_sponsor_summary(match_id: UUID, principal: MatchingRead, session: SessionDep) -> SponsorSummary:
    """A mentor match's sponsor-action count and the week-15 gate (at least one action by week 15)."""
    return await service.summary(session, principal, match_id)
