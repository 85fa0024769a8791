from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.auth import Principal
from tandem_kit.errors import Conflict, NotFound
from tandem_kit.events import emit
from tandem_kit.pagination import PageParams
from tandem_matching import audit
from tandem_matching.auth import actor, require_manager
from tandem_matching.directory import service as directory
from tandem_matching.eligibility import eligibility
from tandem_matching.events import ProgramStatusChanged
from tandem_matching.models import Cohort, Program, WeightSetVersion
from tandem_matching.program import repository
from tandem_matching.program.domain import ProgramStatus, StatusAction, TransitionRefused, transition
from tandem_matching.program.schemas import (
    CapacityReport,
    CohortCreate,
    ProgramCreate,
    ProgramStatusUpdate,
    Weights,
    WeightsUpdate,
)
from tandem_matching.scoring.domain import WeightSet

SEED_POOL_SHARE = (0.08, 0.12)


class ProgramNotFound(NotFound):
    code, title = "program-not-found", "Program not found"


class CohortNotFound(NotFound):
    code, title = "cohort-not-found", "Cohort not found"


class ProgramPaused(Conflict):
    """The program is paused: no new intakes, proposals, approvals or cohort runs until it resumes;
    running matches go on."""

    code, title = "program-paused", "Program paused"


class ProgramClosed(Conflict):
    """The program is closed: nothing new starts in it, and it is never reopened."""

    code, title = "program-closed", "Program closed"


def weight_set(version: WeightSetVersion) -> WeightSet:
    return WeightSet(**version.weights, version=version.version)


async def create_program(session: AsyncSession, principal: Principal, data: ProgramCreate) -> Program:
    require_manager(principal)
    program = Program(
        name=data.name,
        tracks=list(data.tracks),
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        coach_caseload_limit=data.coach_caseload_limit,
        mentor_high_touch_limit=data.mentor_high_touch_limit,
        active_leaders=data.active_leaders,
    )
    session.add(program)
    await session.flush()
    weights = data.weights or Weights.seed()
    session.add(
        WeightSetVersion(
            program_id=program.id,
            version=1,
            weights=weights.as_dict(),
            reason="initial weights",
            created_by=actor(principal),
        )
    )
    await session.flush()
    return program


async def list_programs(session: AsyncSession, page: PageParams) -> tuple[Sequence[Program], int]:
    return await repository.list_programs(session, page)


async def get_program(session: AsyncSession, program_id: UUID) -> Program:
    program = await repository.get_program(session, program_id)
    if program is None:
        raise ProgramNotFound(f"No program with id {program_id}.")
    return program


async def require_open(session: AsyncSession, program_id: UUID) -> Program:
    """The program, which must be active for anything new to start in it (409 naming it otherwise).

    A share lock on the program row: a pause waits for the approvals already under way, and every one
    that starts after the pause committed sees it."""
    program = await repository.lock_program(session, program_id, share=True)
    if program is None:
        raise ProgramNotFound(f"No program with id {program_id}.")
    if program.status == ProgramStatus.PAUSED:
        raise ProgramPaused(
            f"Program {program.id} is paused: new intakes, proposals and approvals are refused until "
            "it resumes; running matches go on.",
            rule="program-paused",
            program_id=str(program.id),
            reason=program.status_reason,
        )
    if program.status == ProgramStatus.CLOSED:
        raise ProgramClosed(
            f"Program {program.id} is closed: nothing new starts in it.",
            rule="program-closed",
            program_id=str(program.id),
        )
    return program


async def change_status(
    session: AsyncSession,
    principal: Principal,
    program_id: UUID,
    action: StatusAction,
    data: ProgramStatusUpdate,
    *,
    now: datetime | None = None,
) -> Program:
    """Pause, resume or close the program (audited, `ProgramStatusChanged`); a repeat changes nothing."""
    require_manager(principal)
    program = await repository.lock_program(session, program_id)
    if program is None:
        raise ProgramNotFound(f"No program with id {program_id}.")
    try:
        target = transition(ProgramStatus(program.status), action)
    except TransitionRefused as exc:
        raise ProgramClosed(
            f"Program {program.id} is closed and cannot {action.value}: a closed program is never reopened.",
            rule="program-closed",
            program_id=str(program.id),
        ) from exc
    if target is None:
        return program
    at, by = now or datetime.now(UTC), actor(principal)
    previous = program.status
    program.status = target.value
    program.status_reason = data.reason
    program.status_changed_at = at
    program.status_changed_by = by
    audit.record(
        session,
        f"program_{target.value}",
        by=by,
        program_id=program.id,
        reason=data.reason,
        details={"from": previous, "to": target.value},
    )
    await session.flush()
    await emit(
        session,
        ProgramStatusChanged(program_id=program.id, status=target.value, changed_at=at, changed_by=by),
    )
    return program


async def current_weights(session: AsyncSession, program_id: UUID) -> WeightSetVersion:
    await get_program(session, program_id)
    version = await repository.current_weights(session, program_id)
    assert version is not None, "every program is created with weight set version 1"
    return version


async def weight_versions(session: AsyncSession, program_id: UUID) -> Sequence[WeightSetVersion]:
    await get_program(session, program_id)
    return await repository.weight_versions(session, program_id)


async def update_weights(
    session: AsyncSession, principal: Principal, program_id: UUID, data: WeightsUpdate
) -> WeightSetVersion:
    """A new version; proposals keep pointing at the version they were scored with."""
    require_manager(principal)
    # The program row lock serialises concurrent updates so version numbers never collide.
    if await repository.lock_program(session, program_id) is None:
        raise ProgramNotFound(f"No program with id {program_id}.")
    latest = await repository.current_weights(session, program_id)
    version = WeightSetVersion(
        program_id=program_id,
        version=(latest.version if latest else 0) + 1,
        weights=Weights.model_validate(data.model_dump(exclude={"reason"})).as_dict(),
        reason=data.reason,
        created_by=actor(principal),
    )
    session.add(version)
    await session.flush()
    return version


async def capacity_report(
    session: AsyncSession, program_id: UUID, *, leader_level_rank: int
) -> CapacityReport:
    """Capacity against the seed's pool rule; active leaders from the directory unless the program
    sets the number itself (an override)."""
    program = await get_program(session, program_id)
    pool = await repository.pool(session, program_id)
    coaches = [p for p in pool if p.kind == "coach"]
    mentors = [p for p in pool if p.kind == "mentor"]
    leaders = await directory.active_leaders(
        session, override=program.active_leaders, min_rank=leader_level_rank
    )
    share = len(coaches) / leaders.count if leaders.count else None
    status = (
        "unknown"
        if share is None
        else "below"
        if share < SEED_POOL_SHARE[0]
        else "above"
        if share > SEED_POOL_SHARE[1]
        else "within"
    )
    return CapacityReport(
        program_id=program.id,
        coaches=len(coaches),
        eligible_coaches=sum(eligibility(p).eligible for p in coaches),
        mentors=len(mentors),
        eligible_mentors=sum(eligibility(p).eligible for p in mentors),
        active_leaders=leaders.count,
        active_leaders_source=leaders.source,
        coach_pool_share=share,
        seed_pool_share_range=SEED_POOL_SHARE,
        pool_share_status=status,
        coach_caseload_limit=program.coach_caseload_limit,
        coach_capacity=sum(p.capacity for p in coaches),
        coach_load=sum(p.active_load for p in coaches),
        mentor_capacity=sum(p.capacity for p in mentors),
        mentor_load=sum(p.active_load for p in mentors),
    )


async def create_cohort(
    session: AsyncSession, principal: Principal, program_id: UUID, data: CohortCreate
) -> Cohort:
    require_manager(principal)
    await get_program(session, program_id)
    cohort = Cohort(program_id=program_id, name=data.name, details={})
    session.add(cohort)
    await session.flush()
    return cohort


async def list_cohorts(session: AsyncSession, program_id: UUID) -> Sequence[Cohort]:
    await get_program(session, program_id)
    return await repository.list_cohorts(session, program_id)


async def get_cohort(session: AsyncSession, cohort_id: UUID) -> Cohort:
    cohort = await repository.get_cohort(session, cohort_id)
    if cohort is None:
        raise CohortNotFound(f"No cohort with id {cohort_id}.")
    return cohort
