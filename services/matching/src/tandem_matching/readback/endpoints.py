from datetime import datetime
from uuid import UUID

from fastapi import APIRouter, Query

from tandem_kit.db import SessionDep
from tandem_kit.fields import Int4
from tandem_kit.openapi import problems
from tandem_matching.auth import ProgramManagerRequired
from tandem_matching.consent_client.gate import ConsentUnavailable
from tandem_matching.readback import service
from tandem_matching.readback.auth import HrisRead
from tandem_matching.readback.dependencies import ReadbackGateDep
from tandem_matching.readback.schemas import Participation, ParticipationPage
from tandem_matching.readback.service import ParticipationNotFound

router = APIRouter(tags=["hris"])


@router.get(
    "/hris/participation",
    response_model=ParticipationPage,
    responses=problems(ProgramManagerRequired, ConsentUnavailable),
)
async def list_participation(
    principal: HrisRead,
    session: SessionDep,
    gate: ReadbackGateDep,
    since: datetime | None = Query(
        default=None, description="Only people whose participation changed since."
    ),
    cursor: UUID | None = Query(default=None, description="`next_cursor` of the previous page."),
    limit: Int4 = Query(default=100, ge=1, le=500, description="People examined per page."),
) -> ParticipationPage:
    """Program participation and sponsor actions of people who consented to share them with the HRIS."""
    return await service.list_participation(session, principal, gate, since=since, cursor=cursor, limit=limit)


@router.get(
    "/hris/participation/{person_id}",
    response_model=Participation,
    responses=problems(ProgramManagerRequired, ParticipationNotFound, ConsentUnavailable),
)
async def get_participation(
    person_id: UUID, principal: HrisRead, session: SessionDep, gate: ReadbackGateDep
) -> Participation:
    """One person's program participation, if they consented to share it with the HRIS."""
    return await service.get_participation(session, principal, gate, person_id)
