from uuid import UUID

from fastapi import APIRouter, status

from tandem_kit.db import SessionDep
from tandem_kit.openapi import problems
from tandem_kit.pagination import Page, PageQuery, page_of
from tandem_matching.auth import MatchingDecide, MatchingRead, MatchingWrite, ProgramManagerRequired
from tandem_matching.intake import service
from tandem_matching.intake.schemas import Intake, IntakeCreate, TrackOverride
from tandem_matching.intake.service import (
    CohortOfOtherProgram,
    IntakeExists,
    IntakeNotFound,
    TrackNotOffered,
)
from tandem_matching.program.service import CohortNotFound, ProgramClosed, ProgramNotFound, ProgramPaused

router = APIRouter(tags=["intakes"])


@router.post(
    "/programs/{program_id}/intakes",
    response_model=Intake,
    status_code=status.HTTP_201_CREATED,
    responses=problems(
        ProgramManagerRequired,
        CohortOfOtherProgram,
        TrackNotOffered,
        IntakeExists,
        CohortNotFound,
        ProgramNotFound,
        ProgramPaused,
        ProgramClosed,
    ),
)
async def submit_intake(
    program_id: UUID, data: IntakeCreate, principal: MatchingWrite, session: SessionDep
) -> Intake:
    """Submit a participant's intake; the track is decided from the triggers by the seed's matrix."""
    return service.to_read(await service.submit_intake(session, principal, program_id, data))


@router.get(
    "/programs/{program_id}/intakes", response_model=Page[Intake], responses=problems(ProgramNotFound)
)
async def list_intakes(
    program_id: UUID, principal: MatchingRead, session: SessionDep, page: PageQuery
) -> Page[Intake]:
    """List a program's intakes, paged (a participant sees only their own)."""
    intakes, total = await service.list_intakes(session, principal, program_id, page)
    return page_of(intakes, total, page, service.to_read)


@router.get("/intakes/{intake_id}", response_model=Intake, responses=problems(IntakeNotFound))
async def get_intake(intake_id: UUID, principal: MatchingRead, session: SessionDep) -> Intake:
    """Get an intake with its track decision."""
    return service.to_read(await service.get_intake(session, principal, intake_id))


@router.post(
    "/intakes/{intake_id}/track-override",
    response_model=Intake,
    responses=problems(ProgramManagerRequired, IntakeNotFound, TrackNotOffered),
)
async def override_track(
    intake_id: UUID, data: TrackOverride, principal: MatchingDecide, session: SessionDep
) -> Intake:
    """Override the decided track with a reason (program managers; audited)."""
    return service.to_read(await service.override_track(session, principal, intake_id, data))
