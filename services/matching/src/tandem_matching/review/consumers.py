"""What the program does when the HR directory reports a change (the gateway's `Person*` events).

Each handler first updates the directory projection; only an event that is newer than what the
projection holds acts, so a redelivery or a late, older event changes nothing.
"""

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.events import EventEnvelope, Subscription, typed
from tandem_matching.directory import schemas
from tandem_matching.directory import service as directory
from tandem_matching.match import service as match_service
from tandem_matching.proposal import service as proposal_service

log = structlog.get_logger("tandem.matching.review")

DEACTIVATED = "participant_deactivated"
JOB_CHANGED = "job_changed"


async def on_person_deactivated(
    session: AsyncSession, _envelope: EventEnvelope, data: schemas.PersonDeactivated
) -> None:
    """End the person's active matches (`terminated`), close their pending proposals; the pool
    leaves a deactivated provider out from now on."""
    if not await directory.set_active(session, data.person_id, active=False, at=data.deactivated_at):
        return
    ended = await match_service.terminate_for_person(session, data.person_id)
    closed = await proposal_service.close_for_person(session, data.person_id, reason=DEACTIVATED)
    log.info("matching.review.deactivated", person_id=str(data.person_id), ended=ended, closed=closed)


async def on_person_job_changed(
    session: AsyncSession, _envelope: EventEnvelope, data: schemas.PersonJobChanged
) -> None:
    """Flag the participant's active matches for review (event-triggered re-matching, seed 004 §7)."""
    if not await directory.job_changed(session, data):
        return
    await match_service.flag_for_review(session, data.person_id, reason=JOB_CHANGED, at=data.effective_at)


PERSON_DEACTIVATED = Subscription(
    name="matching-person-deactivated",
    subjects=["tandem.gateway.PersonDeactivated"],
    handler=typed(schemas.PersonDeactivated, on_person_deactivated),
)
PERSON_JOB_CHANGED = Subscription(
    name="matching-person-job-changed",
    subjects=["tandem.gateway.PersonJobChanged"],
    handler=typed(schemas.PersonJobChanged, on_person_job_changed),
)
