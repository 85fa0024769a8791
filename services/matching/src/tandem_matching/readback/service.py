"""The HRIS read-back: program participation and sponsor actions per person, only for people who
granted the `hris_readback` purpose (asked of the consent service for every page, never cached)."""

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.auth import Principal
from tandem_kit.errors import NotFound
from tandem_matching import models
from tandem_matching.auth import require_program_staff
from tandem_matching.consent_client.gate import ConsentGate
from tandem_matching.readback import repository
from tandem_matching.readback.schemas import Participation, ParticipationPage, ProgramParticipation

PURPOSE = "hris_readback"


class ParticipationNotFound(NotFound):
    code, title = "participation-not-found", "No participation to share for this person"


def _as_participant(
    intake: models.Intake, program: str, matches: Sequence[models.Match], sponsored: int
) -> ProgramParticipation:
    active = any(m.status == "active" for m in matches)
    ended = [m.ended_at for m in matches if m.ended_at is not None]
    return ProgramParticipation(
        program_id=intake.program_id,
        program_name=program,
        role="participant",
        track=intake.track,
        status="active" if active else "ended" if matches else "waiting",
        joined_at=intake.created_at,
        matched_at=min((m.approved_at for m in matches), default=None),
        ended_at=max(ended) if matches and not active and ended else None,
        # Sponsor actions come with a mentor: none for a coaching-only participant.
        sponsor_actions=sponsored if any(m.provider_kind == "mentor" for m in matches) else None,
    )


def _as_provider(provider: models.Provider, program: str, logged: int | None) -> ProgramParticipation:
    return ProgramParticipation(
        program_id=provider.program_id,
        program_name=program,
        role="coach" if provider.kind == "coach" else "mentor",
        track=None,
        status="active" if provider.active_load > 0 else "available",
        joined_at=provider.created_at,
        matched_at=None,
        ended_at=None,
        # The log when the mentor keeps one in this program, else the count typed into the profile.
        sponsor_actions=provider.sponsorship_actions if logged is None else logged,
    )


async def _participation(
    session: AsyncSession, people: Sequence[tuple[UUID, datetime]]
) -> list[Participation]:
    ids = [pid for pid, _ in people]
    intakes = await repository.intakes_of(session, ids)
    matches: dict[UUID, list[models.Match]] = {}
    for match in await repository.matches_of_intakes(session, [i.id for i, _ in intakes]):
        matches.setdefault(match.intake_id, []).append(match)
    as_mentee, as_mentor = await repository.sponsor_counts(session, ids)
    programs: dict[UUID, list[ProgramParticipation]] = {pid: [] for pid in ids}
    for intake, name in intakes:
        sponsored = as_mentee.get((intake.person_id, intake.program_id), 0)
        programs[intake.person_id].append(
            _as_participant(intake, name, matches.get(intake.id, []), sponsored)
        )
    for provider, name in await repository.providers_of(session, ids):
        logged = as_mentor.get((provider.person_id, provider.program_id))
        programs[provider.person_id].append(_as_provider(provider, name, logged))
    return [Participation(person_id=pid, programs=programs[pid], changed_at=at) for pid, at in people]


async def list_participation(
    session: AsyncSession,
    principal: Principal,
    gate: ConsentGate,
    *,
    since: datetime | None,
    cursor: UUID | None,
    limit: int,
) -> ParticipationPage:
    """A page of consenting people in person-id order; people without the grant are skipped (never
    named), so a page may hold fewer than `limit` and still have a next one."""
    require_program_staff(principal)
    candidates = await repository.people_after(session, after=cursor, since=since, limit=limit)
    granted = await gate.check([pid for pid, _ in candidates])
    shared = [(pid, at) for pid, at in candidates if granted[pid].granted]
    return ParticipationPage(
        items=await _participation(session, shared),
        next_cursor=candidates[-1][0] if len(candidates) == limit else None,
    )


async def get_participation(
    session: AsyncSession, principal: Principal, gate: ConsentGate, person_id: UUID
) -> Participation:
    """One person's participation; 404 alike for someone unknown and someone who did not consent."""
    require_program_staff(principal)
    changed = await repository.changed_at(session, person_id)
    if changed is None or not (await gate.one(person_id)).granted:
        raise ParticipationNotFound(f"Nothing to share for person {person_id}.")
    [found] = await _participation(session, [(person_id, changed)])
    return found
