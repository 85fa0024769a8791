from uuid import UUID

from fastapi import APIRouter, status

from tandem_kit.db import SessionDep
from tandem_kit.openapi import problems
from tandem_kit.pagination import Page, PageQuery, page_of
from tandem_matching.auth import MatchingDecide, MatchingRead, ProgramManagerRequired
from tandem_matching.program import service
from tandem_matching.program.domain import StatusAction
from tandem_matching.program.schemas import (
    CapacityReport,
    Cohort,
    CohortCreate,
    Program,
    ProgramCreate,
    ProgramStatusUpdate,
    ProgramWithWeights,
    WeightSet,
    WeightsUpdate,
)
from tandem_matching.program.service import CohortNotFound, ProgramClosed, ProgramNotFound
from tandem_matching.settings import SettingsDep

router = APIRouter(tags=["programs"])


async def _with_weights(session: SessionDep, program_id: UUID) -> ProgramWithWeights:
    program = await service.get_program(session, program_id)
    weights = await service.current_weights(session, program_id)
    return ProgramWithWeights.model_validate(
        {**Program.model_validate(program).model_dump(), "weights": WeightSet.model_validate(weights)}
    )


@router.post(
    "/programs",
    response_model=ProgramWithWeights,
    status_code=status.HTTP_201_CREATED,
    responses=problems(ProgramManagerRequired),
)
async def create_program(
    data: ProgramCreate, principal: MatchingDecide, session: SessionDep
) -> ProgramWithWeights:
    """Create a program with its tracks, dates, capacity rules and first weight set."""
    program = await service.create_program(session, principal, data)
    return await _with_weights(session, program.id)


@router.get("/programs", response_model=Page[Program])
async def list_programs(principal: MatchingRead, session: SessionDep, page: PageQuery) -> Page[Program]:
    """List programs, oldest first (paged)."""
    programs, total = await service.list_programs(session, page)
    return page_of(programs, total, page, Program.model_validate)


@router.get("/programs/{program_id}", response_model=ProgramWithWeights, responses=problems(ProgramNotFound))
async def get_program(program_id: UUID, principal: MatchingRead, session: SessionDep) -> ProgramWithWeights:
    """Get a program with its current weight set."""
    return await _with_weights(session, program_id)


STATUS_RESPONSES = problems(ProgramManagerRequired, ProgramNotFound, ProgramClosed)


@router.post("/programs/{program_id}/pause", response_model=Program, responses=STATUS_RESPONSES)
async def pause_program(
    program_id: UUID, data: ProgramStatusUpdate, principal: MatchingDecide, session: SessionDep
) -> Program:
    """Pause onboarding: new intakes, proposals and approvals are refused; running matches go on."""
    return Program.model_validate(
        await service.change_status(session, principal, program_id, StatusAction.PAUSE, data)
    )


@router.post("/programs/{program_id}/resume", response_model=Program, responses=STATUS_RESPONSES)
async def resume_program(
    program_id: UUID, data: ProgramStatusUpdate, principal: MatchingDecide, session: SessionDep
) -> Program:
    """Resume a paused program's onboarding."""
    return Program.model_validate(
        await service.change_status(session, principal, program_id, StatusAction.RESUME, data)
    )


@router.post("/programs/{program_id}/close", response_model=Program, responses=STATUS_RESPONSES)
async def close_program(
    program_id: UUID, data: ProgramStatusUpdate, principal: MatchingDecide, session: SessionDep
) -> Program:
    """Close the program for good: nothing new starts in it; it cannot be reopened."""
    return Program.model_validate(
        await service.change_status(session, principal, program_id, StatusAction.CLOSE, data)
    )


@router.get("/programs/{program_id}/weights", response_model=WeightSet, responses=problems(ProgramNotFound))
async def get_weights(program_id: UUID, principal: MatchingRead, session: SessionDep) -> WeightSet:
    """The program's current weight set."""
    return WeightSet.model_validate(await service.current_weights(session, program_id))


@router.get(
    "/programs/{program_id}/weights/versions",
    response_model=list[WeightSet],
    responses=problems(ProgramNotFound),
)
async def list_weight_versions(
    program_id: UUID, principal: MatchingRead, session: SessionDep
) -> list[WeightSet]:
    """Every version of the program's weights, oldest first."""
    return [WeightSet.model_validate(v) for v in await service.weight_versions(session, program_id)]


@router.put(
    "/programs/{program_id}/weights",
    response_model=WeightSet,
    responses=problems(ProgramManagerRequired, ProgramNotFound),
)
async def update_weights(
    program_id: UUID, data: WeightsUpdate, principal: MatchingDecide, session: SessionDep
) -> WeightSet:
    """Replace the program's weights: creates a new version, earlier proposals keep theirs."""
    return WeightSet.model_validate(await service.update_weights(session, principal, program_id, data))


@router.get(
    "/programs/{program_id}/capacity", response_model=CapacityReport, responses=problems(ProgramNotFound)
)
async def get_capacity(
    program_id: UUID, principal: MatchingRead, session: SessionDep, settings: SettingsDep
) -> CapacityReport:
    """Caseloads and the coach pool share of active leaders against the seed's 8-12%."""
    return await service.capacity_report(
        session, program_id, leader_level_rank=settings.directory.leader_level_rank
    )


@router.post(
    "/programs/{program_id}/cohorts",
    response_model=Cohort,
    status_code=status.HTTP_201_CREATED,
    responses=problems(ProgramManagerRequired, ProgramNotFound),
)
async def create_cohort(
    program_id: UUID, data: CohortCreate, principal: MatchingDecide, session: SessionDep
) -> Cohort:
    """Create a cohort in a program."""
    return Cohort.model_validate(await service.create_cohort(session, principal, program_id, data))


@router.get(
    "/programs/{program_id}/cohorts", response_model=list[Cohort], responses=problems(ProgramNotFound)
)
async def list_cohorts(program_id: UUID, principal: MatchingRead, session: SessionDep) -> list[Cohort]:
    """List a program's cohorts."""
    return [Cohort.model_validate(c) for c in await service.list_cohorts(session, program_id)]


@router.get("/cohorts/{cohort_id}", response_model=Cohort, responses=problems(CohortNotFound))
async def get_cohort(cohort_id: UUID, principal: MatchingRead, session: SessionDep) -> Cohort:
    """Get a cohort."""
    return Cohort.model_validate(await service.get_cohort(session, cohort_id))
