from uuid import UUID

from fastapi import APIRouter, Query

from tandem_kit.db import SessionDep
from tandem_kit.openapi import problems
from tandem_matching.auth import MatchingDecide, ProgramManagerRequired
from tandem_matching.cohort import service
from tandem_matching.cohort.schemas import AssignmentRequest, AssignmentRun
from tandem_matching.cohort.service import InvalidLockedPair
from tandem_matching.consent_client.dependencies import ConsentGateDep
from tandem_matching.program.service import CohortNotFound, ProgramClosed, ProgramNotFound, ProgramPaused

router = APIRouter(tags=["cohorts"])


@router.post(
    "/cohorts/{cohort_id}/assignments",
    response_model=AssignmentRun,
    responses=problems(
        ProgramManagerRequired,
        InvalidLockedPair,
        CohortNotFound,
        ProgramNotFound,
        ProgramPaused,
        ProgramClosed,
    ),
)
async def run_assignment(
    cohort_id: UUID,
    data: AssignmentRequest,
    principal: MatchingDecide,
    session: SessionDep,
    gate: ConsentGateDep,
    dry_run: bool = Query(default=True, description="True: report only; false: create pending proposals."),
) -> AssignmentRun:
    """Assign a whole cohort optimally under capacity; a real run creates pending proposals."""
    return await service.run_assignment(session, principal, gate, cohort_id, data, dry_run=dry_run)
