"""Dual track: when a `coach_then_mentor` participant's coaching match ends `completed`, open the
mentor proposal and prepare the handoff; link it to the mentor match once one is approved.

Both run as consumers of matching's own `MatchEnded`/`MatchApproved` (consumers.py), so every way a
match ends or starts (REST, GraphQL, a cohort run) leads here, once per event.
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.auth import Principal
from tandem_kit.errors import Conflict, NotFound
from tandem_kit.events import emit
from tandem_kit.pagination import PageParams
from tandem_matching import models
from tandem_matching.auth import actor
from tandem_matching.consent_client.gate import ConsentGate
from tandem_matching.events import CoachingSprintCompleted, HandoffPrepared
from tandem_matching.handoff import domain, repository
from tandem_matching.handoff.schemas import ChecklistItem, Handoff, HandoffChecklistUpdate, HandoffContext
from tandem_matching.intake import repository as intake_repository
from tandem_matching.intake.domain import Track
from tandem_matching.proposal import service as proposal_service

log = structlog.get_logger("tandem.matching.handoff")

PURPOSE = "handoff"
DUAL_TRACK = Principal(
    subject="system:dual-track", client_id="system:dual-track", scopes=frozenset(), token_id="dual-track"
)
"""Who opens the mentor proposal when a sprint completes (recorded as `client:system:dual-track`)."""


class HandoffNotFound(NotFound):
    code, title = "handoff-not-found", "Handoff not found"


def _prepared(handoff: models.Handoff) -> HandoffPrepared:
    return HandoffPrepared(
        handoff_id=handoff.id,
        program_id=handoff.program_id,
        participant_id=handoff.participant_id,
        from_match_id=handoff.from_match_id,
        to_match_id=handoff.to_match_id,
        shared_context=handoff.shared_context,
        prepared_at=handoff.prepared_at,
    )


async def sprint_completed(
    session: AsyncSession,
    gate: ConsentGate,
    handoff_gate: ConsentGate,
    match_id: UUID,
    *,
    completed_at: datetime,
) -> models.Handoff | None:
    """The coaching match `match_id` ended `completed`: for a dual-track participant, open the mentor
    proposal, prepare the handoff (goals and progress only under the `handoff` consent) and emit
    `HandoffPrepared` and `CoachingSprintCompleted`. Anything else, or a second call, does nothing."""
    match = await repository.match(session, match_id)
    if match is None or match.provider_kind != "coach" or match.track != Track.COACH_THEN_MENTOR:
        return None
    if match.status != "ended" or match.end_reason != "completed":
        return None
    if await repository.of_coaching_match(session, match.id) is not None:
        return None
    [intake] = await intake_repository.by_ids(session, [match.intake_id])
    proposal_id = await _open_mentor_proposal(session, gate, intake)
    consented = (await handoff_gate.one(match.participant_id)).granted
    handoff = models.Handoff(
        program_id=match.program_id,
        intake_id=intake.id,
        participant_id=match.participant_id,
        from_match_id=match.id,
        proposal_id=proposal_id,
        shared_context=consented,
        context=domain.shared_context(
            behavioural_goals=intake.behavioural_goals,
            wanted_skills=intake.wanted_skills,
            coaching_started_at=match.approved_at,
            coaching_completed_at=completed_at,
        )
        if consented
        else {},
        checklist=domain.empty_checklist(),
        prepared_at=completed_at,
    )
    session.add(handoff)
    await session.flush()
    await emit(session, _prepared(handoff))
    await emit(
        session,
        CoachingSprintCompleted(
            match_id=match.id,
            program_id=match.program_id,
            participant_id=match.participant_id,
            completed_at=completed_at,
            handoff_id=handoff.id,
        ),
    )
    log.info(
        "matching.handoff.prepared",
        handoff_id=str(handoff.id),
        match_id=str(match.id),
        shared_context=consented,
        proposal_opened=proposal_id is not None,
    )
    return handoff


async def _open_mentor_proposal(
    session: AsyncSession, gate: ConsentGate, intake: models.Intake
) -> UUID | None:
    """The mentor proposal, or None when the program cannot propose now (no `matching` consent, a
    mentor already active, onboarding paused): the handoff is prepared anyway and a program manager
    proposes later through `POST /proposals`."""
    try:
        async with session.begin_nested():
            proposal = await proposal_service.create_proposal(
                session, DUAL_TRACK, gate, intake, kind="mentor", k=5
            )
    except Conflict as refused:
        log.info("matching.handoff.no_proposal", intake_id=str(intake.id), reason=refused.code)
        return None
    return proposal.id


async def mentor_approved(session: AsyncSession, match_id: UUID) -> models.Handoff | None:
    """A mentor match was approved: the intake's waiting handoff now leads to it, and its mentor may
    read it (`HandoffPrepared` again, with `to_match_id`)."""
    match = await repository.match(session, match_id)
    if match is None or match.provider_kind != "mentor" or match.track != Track.COACH_THEN_MENTOR:
        return None
    handoff = await repository.awaiting_mentor(session, match.intake_id)
    if handoff is None:
        return None
    handoff.to_match_id, handoff.mentor_person_id = match.id, match.provider_person_id
    await session.flush()
    await emit(session, _prepared(handoff))
    log.info("matching.handoff.linked", handoff_id=str(handoff.id), match_id=str(match.id))
    return handoff


async def get_handoff(session: AsyncSession, principal: Principal, handoff_id: UUID) -> models.Handoff:
    handoff = await repository.get(session, principal, handoff_id)
    if handoff is None:
        raise HandoffNotFound(f"No handoff with id {handoff_id}.")
    return handoff


async def list_handoffs(
    session: AsyncSession, principal: Principal, participant_id: UUID, page: PageParams
) -> tuple[Sequence[models.Handoff], int]:
    return await repository.list_for_participant(session, principal, participant_id, page)


async def update_checklist(
    session: AsyncSession,
    principal: Principal,
    handoff_id: UUID,
    data: HandoffChecklistUpdate,
    *,
    now: datetime | None = None,
) -> models.Handoff:
    """Tick or untick checklist items (whoever may read the handoff and holds `matching:write`)."""
    handoff = await repository.get(session, principal, handoff_id, lock=True)
    if handoff is None:
        raise HandoffNotFound(f"No handoff with id {handoff_id}.")
    changes = data.model_dump(exclude_none=True)
    checklist, changed = domain.tick(
        handoff.checklist, changes, by=actor(principal), at=now or datetime.now(UTC)
    )
    if changed:
        handoff.checklist = checklist
        await session.flush()
        log.info("matching.handoff.checklist", handoff_id=str(handoff.id), items=changed)
    return handoff


async def still_shared(gate: ConsentGate, handoffs: Sequence[models.Handoff]) -> set[UUID]:
    """The handoffs whose context may be shown now: prepared with the consent, and not withdrawn since."""
    shared = [h for h in handoffs if h.shared_context]
    if not shared:
        return set()
    decisions = await gate.check([h.participant_id for h in shared])
    return {h.id for h in shared if decisions[h.participant_id].granted}


def to_read(handoff: models.Handoff, *, shared: bool) -> Handoff:
    return Handoff(
        id=handoff.id,
        program_id=handoff.program_id,
        participant_id=handoff.participant_id,
        from_match_id=handoff.from_match_id,
        to_match_id=handoff.to_match_id,
        proposal_id=handoff.proposal_id,
        shared_context=shared,
        context=HandoffContext.model_validate(handoff.context) if shared and handoff.context else None,
        note=None if shared else domain.NO_CONSENT_NOTE,
        checklist=[
            ChecklistItem.model_validate({"item": item, **handoff.checklist.get(item, {"done": False})})
            for item in domain.CHECKLIST
        ],
        prepared_at=handoff.prepared_at,
    )


async def read(session: AsyncSession, principal: Principal, gate: ConsentGate, handoff_id: UUID) -> Handoff:
    handoff = await get_handoff(session, principal, handoff_id)
    return to_read(handoff, shared=handoff.id in await still_shared(gate, [handoff]))
