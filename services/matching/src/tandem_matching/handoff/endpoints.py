from uuid import UUID

from fastapi import APIRouter

from tandem_kit.db import SessionDep
from tandem_kit.openapi import problems
from tandem_kit.pagination import Page, PageQuery, page_of
from tandem_matching.auth import MatchingRead, MatchingWrite
from tandem_matching.handoff import service
from tandem_matching.handoff.dependencies import HandoffGateDep
from tandem_matching.handoff.schemas import Handoff, HandoffChecklistUpdate
from tandem_matching.handoff.service import HandoffNotFound

router = APIRouter(tags=["handoffs"])


@router.get("/handoffs/{handoff_id}", response_model=Handoff, responses=problems(HandoffNotFound))
async def get_handoff(
    handoff_id: UUID, principal: MatchingRead, session: SessionDep, gate: HandoffGateDep
) -> Handoff:
    """Get a handoff (program managers, the participant, the mentor once approved; others 404)."""
    return await service.read(session, principal, gate, handoff_id)


@router.get("/participants/{participant_id}/handoffs", response_model=Page[Handoff])
async def list_handoffs(
    participant_id: UUID, principal: MatchingRead, session: SessionDep, gate: HandoffGateDep, page: PageQuery
) -> Page[Handoff]:
    """List a participant's handoffs, paged (only those the caller may read)."""
    rows, total = await service.list_handoffs(session, principal, participant_id, page)
    shared = await service.still_shared(gate, rows)
    return page_of(rows, total, page, lambda h: service.to_read(h, shared=h.id in shared))


@router.patch("/handoffs/{handoff_id}/checklist", response_model=Handoff, responses=problems(HandoffNotFound))
async def update_handoff_checklist(
    handoff_id: UUID,
    data: HandoffChecklistUpdate,
    principal: MatchingWrite,
    session: SessionDep,
    gate: HandoffGateDep,
) -> Handoff:
    """Tick or untick handoff checklist items (a repeated tick changes nothing)."""
    handoff = await service.update_checklist(session, principal, handoff_id, data)
    return service.to_read(handoff, shared=handoff.id in await service.still_shared(gate, [handoff]))
