"""Ending engagements: their match ended (matching's `MatchEnded`), or an erasure ended them.

It cancels sessions through the session service and drops SLA clocks, both of which build on the
engagement service: so it sits above all three.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.auth import Principal
from tandem_scheduling.engagement import repository
from tandem_scheduling.engagement.schemas import MatchEnded
from tandem_scheduling.events import CancelCode
from tandem_scheduling.group import service as group_service
from tandem_scheduling.models import Engagement, Session
from tandem_scheduling.people import repository as people
from tandem_scheduling.session import repository as session_repository
from tandem_scheduling.session import service as session_service
from tandem_scheduling.session.schemas import SessionCancel
from tandem_scheduling.sla import service as sla_service

log = structlog.get_logger("tandem.scheduling.engagement")

ENDED = "ended"
# Sessions are cancelled through the same service call as the API, as this service itself.
SCHEDULING = Principal(
    subject="scheduling",
    client_id="scheduling",
    scopes=frozenset({"scheduling:write"}),
    token_id="engagement-end",
)


@dataclass(frozen=True)
class Ending:
    cancelled: Sequence[Session]
    moot_clocks: int


def cancel_reason(match_reason: str) -> str:
    return f"The match ended ({match_reason})."


async def cancel_future_sessions(
    session: AsyncSession, engagements: Sequence[Engagement], *, reason: str, code: CancelCode, now: datetime
) -> Sequence[Session]:
    """Cancel the engagements' booked sessions that start after `now` as `POST .../cancel` does (holds
    released, `SessionCancelled` with `code`)."""
    future = await session_repository.list_booked_after(session, [e.id for e in engagements], now)
    for booked in future:
        await session_service.cancel_session(
            session,
            SCHEDULING,
            booked.engagement_id,
            booked.id,
            SessionCancel(reason=reason),
            now=now,
            code=code,
        )
    return future


async def end_engagements(
    session: AsyncSession,
    engagements: Sequence[Engagement],
    *,
    reason: str,
    code: CancelCode,
    ended_at: datetime,
    now: datetime,
) -> Ending:
    """End engagements the caller locked for update: future booked sessions are cancelled as
    `POST .../cancel` does (holds released, `SessionCancelled` with `code`), past ones stay; SLA
    clocks not yet due go, overdue open ones stay (the scan breaches them, but opens no escalation for
    an ended engagement), met ones stay met. An engagement that already ended keeps its `ended_at`."""
    ids = [e.id for e in engagements]
    future = await cancel_future_sessions(session, engagements, reason=reason, code=code, now=now)
    moot = await sla_service.close(session, ids, now=now)
    for e in engagements:
        e.status = ENDED
        e.ended_at = e.ended_at or ended_at
    await session.flush()
    return Ending(cancelled=future, moot_clocks=moot)


async def end_match(session: AsyncSession, data: MatchEnded, *, now: datetime | None = None) -> None:
    """End the engagement of a match that ended; a match scheduling has not seen yet is remembered, so
    that its approval, should it come later, opens nothing. Repeats change nothing."""
    now = now or datetime.now(UTC)
    await repository.lock_match(session, data.match_id)
    engagement = await repository.get_by_match_id(session, data.match_id, for_update=True)
    if engagement is None:
        if await repository.remember_ended_match(session, data.match_id, data.ended_at):
            log.info("scheduling.engagement.ended_before_approval", match_id=str(data.match_id))
        return
    if engagement.status == ENDED and engagement.ended_at is not None:
        return
    ending = await end_engagements(
        session,
        [engagement],
        reason=cancel_reason(data.reason),
        code="match_ended",
        ended_at=data.ended_at,
        now=now,
    )
    log.info(
        "scheduling.engagement.ended",
        engagement_id=str(engagement.id),
        match_id=str(data.match_id),
        reason=data.reason,
        cancelled=len(ending.cancelled),
        moot_clocks=ending.moot_clocks,
    )


DEACTIVATED_REASON = "A party was deactivated by the HRIS."


async def person_deactivated(
    session: AsyncSession, person_id: UUID, *, deactivated_at: datetime, now: datetime | None = None
) -> Sequence[Session]:
    """The HRIS deactivated a person: their future sessions are cancelled with their holds (code
    `person_deactivated`), and no new one can be booked until a reactivation; their seats in group
    sessions ahead are released (the waitlists move up) and their waitlist places removed; the group
    sessions they host that have not started are cancelled (every seat released, the waitlist closed). The
    engagements stay open: ending the match is matching's decision (it ends it on the same event). A
    late, older event changes nothing; a repeat finds nothing left to cancel."""
    now = now or datetime.now(UTC)
    if not await people.set_active(session, person_id, active=False, at=deactivated_at):
        return []
    engagements = await repository.list_active_for_person(session, person_id)
    future = await cancel_future_sessions(
        session, engagements, reason=DEACTIVATED_REASON, code="person_deactivated", now=now
    )
    groups = await group_service.person_gone(session, person_id, code="person_deactivated", now=now)
    hosted = await group_service.host_gone(session, person_id, now=now)
    log.info(
        "scheduling.person.deactivated",
        engagements=len(engagements),
        cancelled=len(future),
        group_sessions=groups,
        hosted_cancelled=hosted,
    )
    return future


async def person_reactivated(session: AsyncSession, person_id: UUID, *, reactivated_at: datetime) -> None:
    """Bookings with the person are possible again; nothing cancelled comes back."""
    await people.set_active(session, person_id, active=True, at=reactivated_at)
