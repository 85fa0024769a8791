"""The sponsor action log: mentors log what they did for a mentee; corrections and retractions keep
the row (and send the event again), counts leave retracted actions out."""

from collections.abc import Sequence
from datetime import UTC, date, datetime
from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.auth import Principal
from tandem_kit.errors import Conflict, Forbidden, NotFound, Unprocessable
from tandem_kit.events import emit
from tandem_kit.pagination import PageParams
from tandem_matching import models
from tandem_matching.auth import actor
from tandem_matching.events import SponsorActionLogged, SponsorActionRetracted
from tandem_matching.sponsor import domain, repository
from tandem_matching.sponsor.schemas import SponsorActionCreate, SponsorActionUpdate, SponsorSummary

log = structlog.get_logger("tandem.matching.sponsor")


class MentorMatchNotFound(NotFound):
    code, title = "match-not-found", "Mentor match not found"


class SponsorActionNotFound(NotFound):
    code, title = "sponsor-action-not-found", "Sponsor action not found"


class MentorRequired(Forbidden):
    code, title = "mentor-required", "Only the mentor or a program manager may log sponsor actions"


class SponsorActionRetractedAlready(Conflict):
    code, title = "sponsor-action-retracted", "Sponsor action was retracted"


class InvalidActionDate(Unprocessable):
    code, title = "invalid-action-date", "Sponsor action date out of range"


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


async def mentor_match(session: AsyncSession, principal: Principal, match_id: UUID) -> models.Match:
    """A mentor match the caller sees (404 alike for a coach match and someone else's)."""
    match = await repository.match_of(session, principal, match_id)
    if match is None:
        raise MentorMatchNotFound(f"No mentor match with id {match_id}.")
    return match


def _require_mentor(principal: Principal, match: models.Match) -> None:
    """The mentor themselves, a program manager or a machine client (the HRIS); never the mentee."""
    if principal.person_id is None or principal.supervises:
        return
    if principal.person_uuid != match.provider_person_id:
        raise MentorRequired("Only the mentor of this match or a program manager may do this.")


def _check_date(action_date: date, match: models.Match, now: datetime) -> None:
    problem = domain.date_problem(
        action_date,
        approved_on=match.approved_at.date(),
        ended_on=match.ended_at.date() if match.ended_at else None,
        today=now.date(),
    )
    if problem:
        raise InvalidActionDate(problem, pointer="#/action_date")


def _logged(action: models.SponsorAction) -> SponsorActionLogged:
    return SponsorActionLogged(
        action_id=action.id,
        match_id=action.match_id,
        program_id=action.program_id,
        participant_id=action.participant_id,
        mentor_person_id=action.mentor_person_id,
        kind=domain.Kind(action.kind).value,  # type: ignore[arg-type]
        action_date=action.action_date,
        outcome=domain.Outcome(action.outcome).value,  # type: ignore[arg-type]
        logged_at=action.corrected_at or action.logged_at,
    )


async def log_action(
    session: AsyncSession,
    principal: Principal,
    match_id: UUID,
    data: SponsorActionCreate,
    *,
    now: datetime | None = None,
) -> models.SponsorAction:
    """Log a sponsor action for the mentee of a mentor match (emits SponsorActionLogged)."""
    at = _now(now)
    match = await mentor_match(session, principal, match_id)
    _require_mentor(principal, match)
    _check_date(data.action_date, match, at)
    action = models.SponsorAction(
        match_id=match.id,
        program_id=match.program_id,
        participant_id=match.participant_id,
        mentor_person_id=match.provider_person_id,
        kind=data.kind,
        action_date=data.action_date,
        outcome=data.outcome,
        description=data.description,
        logged_at=at,
        logged_by=actor(principal),
    )
    session.add(action)
    await session.flush()
    await emit(session, _logged(action))
    log.info(
        "matching.sponsor_action.logged", action_id=str(action.id), match_id=str(match.id), kind=action.kind
    )
    return action


async def _locked(
    session: AsyncSession, principal: Principal, match_id: UUID, action_id: UUID
) -> tuple[models.Match, models.SponsorAction]:
    match = await mentor_match(session, principal, match_id)
    _require_mentor(principal, match)
    action = await repository.get(session, match.id, action_id, lock=True)
    if action is None:
        raise SponsorActionNotFound(f"No sponsor action {action_id} on match {match_id}.")
    return match, action


async def correct_action(
    session: AsyncSession,
    principal: Principal,
    match_id: UUID,
    action_id: UUID,
    data: SponsorActionUpdate,
    *,
    now: datetime | None = None,
) -> models.SponsorAction:
    """Correct a logged action; the event goes out again (same id, later `logged_at`). A correction
    that changes nothing changes nothing, and sends nothing."""
    at = _now(now)
    match, action = await _locked(session, principal, match_id, action_id)
    if action.retracted_at is not None:
        raise SponsorActionRetractedAlready("A retracted sponsor action cannot be corrected; log a new one.")
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    if "action_date" in changes:
        _check_date(changes["action_date"], match, at)
    changed = {k: v for k, v in changes.items() if getattr(action, k) != v}
    if not changed:
        return action
    for key, value in changed.items():
        setattr(action, key, value)
    action.corrected_at = at
    await session.flush()
    await emit(session, _logged(action))
    log.info("matching.sponsor_action.corrected", action_id=str(action.id), fields=sorted(changed))
    return action


async def retract_action(
    session: AsyncSession,
    principal: Principal,
    match_id: UUID,
    action_id: UUID,
    *,
    now: datetime | None = None,
) -> models.SponsorAction:
    """Retract a logged action (kept, counted nowhere; emits SponsorActionRetracted once)."""
    _, action = await _locked(session, principal, match_id, action_id)
    if action.retracted_at is not None:
        return action  # a second retraction changes nothing
    action.retracted_at, action.retracted_by = _now(now), actor(principal)
    await session.flush()
    await emit(
        session,
        SponsorActionRetracted(
            action_id=action.id,
            match_id=action.match_id,
            program_id=action.program_id,
            retracted_at=action.retracted_at,
        ),
    )
    log.info("matching.sponsor_action.retracted", action_id=str(action.id))
    return action


async def list_actions(
    session: AsyncSession, principal: Principal, match_id: UUID, page: PageParams
) -> tuple[Sequence[models.SponsorAction], int]:
    match = await mentor_match(session, principal, match_id)
    return await repository.list_for_match(session, match.id, page)


def summarise(match: models.Match, dates: Sequence[date]) -> SponsorSummary:
    approved_on = match.approved_at.date()
    return SponsorSummary(
        match_id=match.id,
        approved_on=approved_on,
        week_15_ends_on=domain.week_15_ends(approved_on),
        actions_logged=len(dates),
        sponsor_actions_by_week_15=domain.by_week_15(approved_on, dates),
    )


async def summary(session: AsyncSession, principal: Principal, match_id: UUID) -> SponsorSummary:
    """The match's sponsor-action count and the week-15 gate."""
    match = await mentor_match(session, principal, match_id)
    dates = await repository.live_dates(session, [match.id])
    return summarise(match, dates[match.id])


async def sponsorship_counts(
    session: AsyncSession, person_ids: Sequence[UUID], *, today: date
) -> dict[UUID, int]:
    """What the scorer's sponsorship signal reads: logged actions of the last 18 months per mentor
    person who has a log (absent: no log, the typed-in count stays)."""
    return await repository.logged_counts(session, person_ids, since=domain.window_start(today))
