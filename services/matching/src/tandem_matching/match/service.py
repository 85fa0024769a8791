from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Literal
from uuid import UUID

import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.auth import Principal
from tandem_kit.errors import Conflict, NotFound, Unprocessable
from tandem_kit.events import emit
from tandem_kit.pagination import PageParams
from tandem_matching import audit, models
from tandem_matching.auth import actor, require_manager
from tandem_matching.consent_client.gate import ConsentDecision, ConsentGate
from tandem_matching.directory import service as directory
from tandem_matching.events import (
    MatchApproved,
    MatchEnded,
    MatchFlaggedForReview,
    MatchReassigned,
    WorkingHoursBlock,
)
from tandem_matching.intake import repository as intake_repository
from tandem_matching.intake.domain import Track, sprint_blocks_mentor
from tandem_matching.match import repository
from tandem_matching.match.schemas import EndReason, ReassignmentRate
from tandem_matching.program import service as program_service
from tandem_matching.provider import repository as provider_repository
from tandem_matching.ranking.service import (
    admissibility,
    require_consent,
    require_provider_consent,
    score_pair,
    sponsorship_logged,
)
from tandem_matching.scoring.domain import FilterReason, ProviderKind

REASSIGNMENT_TARGET = 0.10

log = structlog.get_logger("tandem.matching.match")


class MatchNotFound(NotFound):
    code, title = "match-not-found", "Match not found"


class ProviderAtCapacity(Conflict):
    code, title = "provider-at-capacity", "Provider at capacity"


class ProviderNotAdmissible(Conflict):
    code, title = "provider-not-admissible", "Provider may not be matched with this participant"


class AlreadyMatched(Conflict):
    code, title = "already-matched", "Participant already has an active match of this kind"


class MatchNotActive(Conflict):
    code, title = "match-not-active", "Match is not active"


class CoachingSprintActive(Conflict):
    """Rule `coaching_sprint_first`: a dual-track participant's mentor waits for the coaching sprint."""

    code, title = "coaching-sprint-active", "The coaching sprint is still running"


class MatchNotFlagged(Conflict):
    code, title = "match-not-flagged", "Match is not flagged for review"


class WrongProvider(Unprocessable):
    """The provider is not part of the program, is the current one (reassignment), or is of another
    kind than the match being replaced."""

    code, title = "wrong-provider", "Provider does not fit"


def same_program_and_kind(
    provider: models.Provider | None, *, program_id: UUID, kind: str
) -> models.Provider:
    """The provider chosen by hand (override, reassignment): 422 unless a `kind` of `program_id`."""
    if provider is None or provider.program_id != program_id or provider.kind != kind:
        raise WrongProvider(f"The provider must be a {kind} of the same program.", pointer="#/provider_id")
    return provider


def _hours(blocks: Sequence[dict[str, object]]) -> list[WorkingHoursBlock]:
    return [WorkingHoursBlock.model_validate(b) for b in blocks]


async def open_match(
    session: AsyncSession,
    principal: Principal,
    *,
    intake: models.Intake,
    provider_id: UUID,
    score: float,
    proposal_id: UUID | None,
    provider_consent: ConsentDecision,
) -> models.Match:
    """Create an active match and emit its `MatchApproved`.

    ``provider_consent`` is the provider's own `matching` decision, asked by the caller (who answers
    409 `provider-consent-required` first); the hard filter holds it again under the row lock.
    """
    match, approved = await _create_match(
        session,
        principal,
        intake=intake,
        provider_id=provider_id,
        score=score,
        proposal_id=proposal_id,
        provider_consent=provider_consent,
    )
    await emit(session, approved)
    return match


async def _create_match(
    session: AsyncSession,
    principal: Principal,
    *,
    intake: models.Intake,
    provider_id: UUID,
    score: float,
    proposal_id: UUID | None,
    provider_consent: ConsentDecision,
    previous_match_id: UUID | None = None,
) -> tuple[models.Match, MatchApproved]:
    """Create an active match under a lock on the provider row, so capacity holds under concurrency;
    the caller emits the returned event (a reassignment sends it after the old match's events).

    The row lock serialises approvals for one provider; the CHECK (active_load <= capacity) and the
    partial unique index on active matches stand behind it in the database.
    """
    provider = await provider_repository.lock(session, provider_id)
    if provider is None or provider.program_id != intake.program_id:
        raise WrongProvider("The provider is not part of this program.", pointer="#/provider_id")
    org = await directory.org_view(session, [intake.person_id, provider.person_id])
    reasons = admissibility(intake, provider, provider_consent, org)
    if FilterReason.AT_CAPACITY in reasons:
        raise ProviderAtCapacity(
            f"The {provider.kind} already carries {provider.active_load} of {provider.capacity}.",
            provider_id=str(provider.id),
        )
    if reasons:
        raise ProviderNotAdmissible(
            "The provider fails a hard filter for this participant.", reasons=reasons, pointer="#/provider_id"
        )
    if await repository.active_for(session, intake.id, provider.kind) is not None:
        raise AlreadyMatched(f"The participant already has an active {provider.kind}.")
    coaching = await repository.active_for(session, intake.id, ProviderKind.COACH.value)
    if sprint_blocks_mentor(
        Track(intake.track), ProviderKind(provider.kind), coach_active=coaching is not None
    ):
        raise CoachingSprintActive(
            "A coach_then_mentor participant gets the mentor once the coaching sprint ended completed.",
            rule="coaching_sprint_first",
            coaching_match_id=str(coaching.id) if coaching else None,
        )
    provider.active_load += 1
    match = models.Match(
        program_id=intake.program_id,
        proposal_id=proposal_id,
        intake_id=intake.id,
        participant_id=intake.person_id,
        provider_id=provider.id,
        provider_person_id=provider.person_id,
        provider_kind=provider.kind,
        track=intake.track,
        score=score,
        status="active",
        approved_at=datetime.now(UTC),
        approved_by=actor(principal),
        previous_match_id=previous_match_id,
    )
    session.add(match)
    try:
        await session.flush()
    except IntegrityError as exc:
        if "load_within_capacity" in str(exc.orig):
            raise ProviderAtCapacity("A concurrent approval took the provider's last place.") from exc
        raise AlreadyMatched("A concurrent decision matched this participant first.") from exc
    return match, MatchApproved(
        match_id=match.id,
        proposal_id=proposal_id,
        program_id=match.program_id,
        participant_id=match.participant_id,
        provider_id=provider.id,
        provider_person_id=provider.person_id,
        provider_kind="coach" if provider.kind == "coach" else "mentor",
        track=match.track,
        score=score,
        approved_at=match.approved_at,
        approved_by=match.approved_by,
        participant_timezone=intake.timezone,
        participant_working_hours=_hours(intake.working_hours),
        provider_timezone=provider.timezone,
        provider_working_hours=_hours(provider.working_hours),
    )


async def get_match(session: AsyncSession, principal: Principal, match_id: UUID) -> models.Match:
    match = await repository.get(session, principal, match_id)
    if match is None:
        raise MatchNotFound(f"No match with id {match_id}.")
    return match


async def list_matches(
    session: AsyncSession, principal: Principal, program_id: UUID, page: PageParams
) -> tuple[Sequence[models.Match], int]:
    await program_service.get_program(session, program_id)
    return await repository.list_for_program(session, principal, program_id, page)


async def end(
    session: AsyncSession,
    principal: Principal,
    match_id: UUID,
    *,
    reason: EndReason,
    note: str | None,
) -> models.Match:
    """End an active match (the row stays in the history); the provider's place is freed."""
    require_manager(principal)
    match = await _lock_active(session, principal, match_id)
    # The note is free text about people: erasure drops it, the reason (a closed list) stays.
    ended = await _end(
        session, match, reason=reason, by=actor(principal), details={"note": note} if note else {}
    )
    await session.flush()
    await emit(session, ended)
    log.info("matching.match.ended", match_id=str(match.id), reason=reason)
    return match


async def reassign(
    session: AsyncSession,
    principal: Principal,
    gate: ConsentGate,
    match_id: UUID,
    *,
    provider_id: UUID,
    reason: str,
) -> tuple[models.Match, models.Match]:
    """End a match with a reason and open a new one; both rows stay, linked, in the history.

    Events go out in the order consumers need: the old match's `MatchEnded` (frees its engagement and
    counts), then `MatchReassigned`, then the new match's `MatchApproved`.
    """
    require_manager(principal)
    old = await _lock_active(session, principal, match_id)
    intakes = await intake_repository.by_ids(session, [old.intake_id])
    intake = intakes[0]
    consent = await require_consent(gate, intake)
    if provider_id == old.provider_id:
        raise WrongProvider("Reassignment needs a different provider.", pointer="#/provider_id")
    new_provider = same_program_and_kind(
        await provider_repository.by_id(session, provider_id),
        program_id=old.program_id,
        kind=old.provider_kind,
    )
    provider_consent = await require_provider_consent(gate, new_provider)
    # Both provider rows, in id order, before touching either: two reassignments swapping the same
    # two providers would otherwise lock them in opposite orders and deadlock.
    for locked in sorted({old.provider_id, provider_id}):
        await provider_repository.lock(session, locked)
    ended = await _close(
        session, old, status="reassigned", reason="reassigned", end_reason=reason, by=actor(principal)
    )
    weights = program_service.weight_set(await program_service.current_weights(session, old.program_id))
    logged = await sponsorship_logged(session, [new_provider])
    breakdown = score_pair(
        intake, new_provider, consent, weights, provider_consent, logged.get(new_provider.person_id)
    )
    new, approved = await _create_match(
        session,
        principal,
        intake=intake,
        provider_id=provider_id,
        score=breakdown.total,
        proposal_id=None,
        provider_consent=provider_consent,
        previous_match_id=old.id,
    )
    audit.about_match(
        session,
        "reassigned",
        new,
        score=new.score,
        by=actor(principal),
        reason=reason,
        details={"old_match_id": str(old.id), "old_provider_id": str(old.provider_id)},
    )
    await session.flush()
    await emit(session, ended)
    await emit(
        session,
        MatchReassigned(
            old_match_id=old.id,
            new_match_id=new.id,
            program_id=old.program_id,
            participant_id=old.participant_id,
            reason=reason,
        ),
    )
    await emit(session, approved)
    return old, new


async def _lock_active(session: AsyncSession, principal: Principal, match_id: UUID) -> models.Match:
    """The match, locked, if the caller may see it and it is still active."""
    await get_match(session, principal, match_id)
    match = await repository.lock(session, match_id)
    assert match is not None
    if match.status != "active":
        raise MatchNotActive(f"The match is {match.status}.", match_status=match.status)
    return match


async def _end(
    session: AsyncSession,
    match: models.Match,
    *,
    reason: Literal["completed", "withdrawn", "terminated"],
    by: str,
    details: dict[str, str],
) -> MatchEnded:
    """End a locked active match and audit it (`ended`); returns the event for the caller to emit."""
    ended = await _close(session, match, status="ended", reason=reason, end_reason=reason, by=by)
    audit.about_match(session, "ended", match, by=by, reason=reason, details=details)
    return ended


async def _close(
    session: AsyncSession,
    match: models.Match,
    *,
    status: Literal["ended", "reassigned"],
    reason: Literal["completed", "withdrawn", "terminated", "reassigned"],
    end_reason: str,
    by: str,
) -> MatchEnded:
    """Stop a locked active match and free its provider's place (the provider row is locked, as an
    approval locks it, so the load stays exact); returns the event for the caller to emit."""
    provider = await provider_repository.lock(session, match.provider_id)
    assert provider is not None
    match.status = status
    match.ended_at = datetime.now(UTC)
    match.end_reason = end_reason
    provider.active_load -= 1
    await session.flush()
    return MatchEnded(
        match_id=match.id,
        program_id=match.program_id,
        participant_id=match.participant_id,
        provider_id=match.provider_id,
        provider_kind="coach" if match.provider_kind == "coach" else "mentor",
        reason=reason,
        ended_at=match.ended_at,
        ended_by=by,
    )


ERASURE_ACTOR = "system:data-subject-erasure"


async def withdraw_for_erasure(session: AsyncSession, match_ids: Iterable[UUID]) -> int:
    """End the still-active matches among `match_ids` because a party to them was erased (reason
    `withdrawn`): their providers' places are freed and `MatchEnded` goes out, so scheduling and
    analytics stop counting them. Call after the matches were de-identified: the event carries the
    stand-in ids. Returns how many were ended."""
    count = 0
    for match_id in sorted(set(match_ids)):  # one lock order for every caller
        match = await repository.lock(session, match_id)
        if match is None or match.status != "active":
            continue
        ended = await _end(session, match, reason="withdrawn", by=ERASURE_ACTOR, details={})
        await emit(session, ended)
        count += 1
    await session.flush()
    return count


async def reassignment_rate(session: AsyncSession, program_id: UUID) -> ReassignmentRate:
    await program_service.get_program(session, program_id)
    initial, reassigned = await repository.reassignment_counts(session, program_id)
    rate = reassigned / initial if initial else 0.0
    return ReassignmentRate(
        program_id=program_id,
        initial_matches=initial,
        reassignments=reassigned,
        rate=rate,
        target=REASSIGNMENT_TARGET,
        within_target=rate < REASSIGNMENT_TARGET,
    )


HRIS_ACTOR = "system:hris"


async def terminate_for_person(session: AsyncSession, person_id: UUID) -> int:
    """End every active match the person is a party to (reason `terminated`: the HR directory
    deactivated them), through the same path as a manager's end, so `MatchEnded` goes out and
    scheduling ends the engagement. Returns how many were ended."""
    count = 0
    for match_id in await repository.active_ids_of_person(session, person_id):  # sorted: one lock order
        match = await repository.lock(session, match_id)
        if match is None or match.status != "active":
            continue
        ended = await _end(session, match, reason="terminated", by=HRIS_ACTOR, details={})
        await emit(session, ended)
        count += 1
    await session.flush()
    log.info("matching.match.terminated_by_hris", person_id=str(person_id), count=count)
    return count


async def flag_for_review(session: AsyncSession, participant_id: UUID, *, reason: str, at: datetime) -> int:
    """Flag the participant's active matches for a program manager's review (`MatchFlaggedForReview`);
    a match already flagged keeps its first flag. Returns how many were newly flagged."""
    count = 0
    for match_id in await repository.active_ids_of_participant(session, participant_id):
        match = await repository.lock(session, match_id)
        if match is None or match.status != "active" or match.review_reason is not None:
            continue
        match.review_reason, match.flagged_at = reason, at
        audit.about_match(session, "flagged_for_review", match, by=HRIS_ACTOR, reason=reason, details={})
        await session.flush()
        await emit(
            session,
            MatchFlaggedForReview(
                match_id=match.id,
                program_id=match.program_id,
                participant_id=match.participant_id,
                reason=reason,
                flagged_at=at,
            ),
        )
        count += 1
    log.info("matching.match.flagged", participant_id=str(participant_id), reason=reason, count=count)
    return count


async def clear_review(
    session: AsyncSession, principal: Principal, match_id: UUID, *, note: str
) -> models.Match:
    """A program manager clears a match's review flag with a note (audited as `review_cleared`)."""
    require_manager(principal)
    await get_match(session, principal, match_id)
    match = await repository.lock(session, match_id)
    assert match is not None
    if match.review_reason is None:
        raise MatchNotFlagged("The match is not flagged for review.")
    # The note is free text about people: erasure drops it with the other decision notes.
    audit.about_match(
        session,
        "review_cleared",
        match,
        by=actor(principal),
        reason=match.review_reason,
        details={"note": note, "flagged_at": match.flagged_at.isoformat() if match.flagged_at else ""},
    )
    match.review_reason, match.flagged_at = None, None
    await session.flush()
    return match
