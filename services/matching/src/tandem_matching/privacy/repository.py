"""Every row matching holds about one person, found by their person id (the matching engine's view,
not a caller's: these run for the consent service's data-subject requests, never for a request)."""

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from pydantic import SecretStr
from sqlalchemy import ColumnElement, DateTime, Select, and_, cast, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.privacy import erased_people, person_hash
from tandem_matching.models import (
    Decision,
    DirectoryPerson,
    Intake,
    Match,
    Program,
    Proposal,
    ProposalCandidate,
    Provider,
    ProviderOutcome,
)


async def intakes_of(session: AsyncSession, person_id: UUID) -> Sequence[Intake]:
    return (
        await session.scalars(
            select(Intake).where(Intake.person_id == person_id).order_by(Intake.created_at, Intake.id)
        )
    ).all()


async def providers_of(session: AsyncSession, person_id: UUID) -> Sequence[Provider]:
    return (
        await session.scalars(
            select(Provider).where(Provider.person_id == person_id).order_by(Provider.created_at, Provider.id)
        )
    ).all()


async def proposals_of(session: AsyncSession, person_id: UUID) -> Sequence[Proposal]:
    return (
        await session.scalars(
            select(Proposal)
            .where(Proposal.participant_id == person_id)
            .order_by(Proposal.created_at, Proposal.id)
        )
    ).all()


async def candidates_in(session: AsyncSession, proposal_ids: Collection[UUID]) -> Sequence[ProposalCandidate]:
    """The ranked candidates of the given proposals."""
    return (
        await session.scalars(
            select(ProposalCandidate)
            .where(ProposalCandidate.proposal_id.in_(proposal_ids))
            .order_by(ProposalCandidate.proposal_id, ProposalCandidate.rank)
        )
    ).all()


async def candidacies_of(
    session: AsyncSession, provider_ids: Collection[UUID]
) -> Sequence[ProposalCandidate]:
    """Where the given provider rows were ranked for someone."""
    return (
        await session.scalars(
            select(ProposalCandidate)
            .where(ProposalCandidate.provider_id.in_(provider_ids))
            .order_by(ProposalCandidate.proposal_id, ProposalCandidate.rank)
        )
    ).all()


async def matches_of(session: AsyncSession, person_id: UUID) -> Sequence[Match]:
    """Matches the person is a party to, as participant or as provider."""
    return (
        await session.scalars(
            select(Match)
            .where(or_(Match.participant_id == person_id, Match.provider_person_id == person_id))
            .order_by(Match.approved_at, Match.id)
        )
    ).all()


async def decisions_about(
    session: AsyncSession, intake_ids: Collection[UUID], provider_ids: Collection[UUID]
) -> Sequence[Decision]:
    """Audit entries about the person's intakes (track, approvals, rejections) or provider rows."""
    return (
        await session.scalars(
            select(Decision)
            .where(or_(Decision.intake_id.in_(intake_ids), Decision.provider_id.in_(provider_ids)))
            .order_by(Decision.created_at, Decision.id)
        )
    ).all()


async def matched_proposals(session: AsyncSession, proposal_ids: Collection[UUID]) -> set[UUID]:
    """Proposals a match was made from (they stay: the match points at them)."""
    rows = await session.scalars(
        select(Match.proposal_id).where(Match.proposal_id.in_(proposal_ids)).distinct()
    )
    return {p for p in rows if p is not None}


async def matched_intakes(session: AsyncSession, intake_ids: Collection[UUID]) -> set[UUID]:
    return set(
        (
            await session.scalars(select(Match.intake_id).where(Match.intake_id.in_(intake_ids)).distinct())
        ).all()
    )


async def referenced_providers(session: AsyncSession, provider_ids: Collection[UUID]) -> set[UUID]:
    """Provider rows that matches, rankings or the audit point at."""
    found: set[UUID] = set()
    for column in (Match.provider_id, ProposalCandidate.provider_id, Decision.provider_id):
        rows = await session.scalars(select(column).where(column.in_(provider_ids)).distinct())
        found.update(p for p in rows if p is not None)
    return found


async def delete_proposals(session: AsyncSession, proposal_ids: Collection[UUID]) -> tuple[int, int]:
    """Delete proposals with their candidates (counts of both); audit entries keep their action and
    lose the link."""
    if not proposal_ids:
        return 0, 0
    candidates = await session.execute(
        delete(ProposalCandidate).where(ProposalCandidate.proposal_id.in_(proposal_ids))
    )
    await session.execute(
        update(Decision).where(Decision.proposal_id.in_(proposal_ids)).values(proposal_id=None)
    )
    proposals = await session.execute(delete(Proposal).where(Proposal.id.in_(proposal_ids)))
    return _count(proposals), _count(candidates)


async def delete_intakes(session: AsyncSession, intake_ids: Collection[UUID]) -> int:
    if not intake_ids:
        return 0
    await session.execute(update(Decision).where(Decision.intake_id.in_(intake_ids)).values(intake_id=None))
    return _count(await session.execute(delete(Intake).where(Intake.id.in_(intake_ids))))


async def delete_providers(session: AsyncSession, provider_ids: Collection[UUID]) -> int:
    if not provider_ids:
        return 0
    return _count(await session.execute(delete(Provider).where(Provider.id.in_(provider_ids))))


async def outcomes_of(session: AsyncSession, provider_ids: Collection[UUID]) -> Sequence[ProviderOutcome]:
    """Analytics' outcomes kept for the given provider rows (ratings and completion: about the person)."""
    return (
        await session.scalars(
            select(ProviderOutcome)
            .where(ProviderOutcome.provider_id.in_(provider_ids))
            .order_by(ProviderOutcome.provider_id)
        )
    ).all()


async def delete_outcomes(session: AsyncSession, provider_ids: Collection[UUID]) -> int:
    if not provider_ids:
        return 0
    return _count(
        await session.execute(delete(ProviderOutcome).where(ProviderOutcome.provider_id.in_(provider_ids)))
    )


async def record_stand_in(session: AsyncSession, stand_in: UUID, *, key: SecretStr) -> None:
    """The stand-in counts as erased too: an event that names a kept provider row (analytics' outcomes
    carry the provider id, not the person's) finds the stand-in there and is dropped."""
    await session.execute(
        insert(erased_people).values(person_hash=person_hash(stand_in, key)).on_conflict_do_nothing()
    )


async def chains_naming(
    session: AsyncSession, person_id: UUID
) -> tuple[Sequence[Intake], Sequence[Provider]]:
    """Other people's rows whose manager chain names the person (their manager or skip-level)."""
    needle = [str(person_id)]
    intakes = (await session.scalars(select(Intake).where(Intake.manager_chain.contains(needle)))).all()
    providers = (await session.scalars(select(Provider).where(Provider.manager_chain.contains(needle)))).all()
    return intakes, providers


async def directory_of(session: AsyncSession, person_id: UUID) -> DirectoryPerson | None:
    found: DirectoryPerson | None = await session.scalar(
        select(DirectoryPerson).where(DirectoryPerson.person_id == person_id)
    )
    return found


async def delete_directory(session: AsyncSession, person_id: UUID) -> int:
    return _count(
        await session.execute(delete(DirectoryPerson).where(DirectoryPerson.person_id == person_id))
    )


async def has_reports(session: AsyncSession, person_id: UUID) -> bool:
    found = await session.scalar(
        select(DirectoryPerson.person_id).where(DirectoryPerson.manager_id == person_id)
    )
    return found is not None


async def replace_manager(session: AsyncSession, person_id: UUID, stand_in: UUID) -> int:
    """Directory rows of the person's reports point at one stand-in instead (conflict checks keep
    seeing who shares a manager)."""
    return _count(
        await session.execute(
            update(DirectoryPerson).where(DirectoryPerson.manager_id == person_id).values(manager_id=stand_in)
        )
    )


# --- retention: records whose clock started before a cutoff ---------------------------------------

ERASED_TIMEZONE = "UTC"
"""Time zone columns are required; an erased row keeps the neutral zone the scorer already uses."""


def empty_responses() -> dict[str, Any]:
    """An intake's answers, emptied (fresh containers on every call)."""
    return {
        "triggers": [],
        "track_reason": "",
        "timezone": ERASED_TIMEZONE,
        "working_hours": [],
        "languages": [],
        "wanted_skills": {},
        "behavioural_goals": [],
        "manager_chain": [],
        "political_risk_flags": [],
        "case_flags": [],
    }


def program_end() -> ColumnElement[datetime]:
    """The first moment after the program's last day (midnight UTC): its engagements are over by then."""
    return func.timezone(
        "UTC", cast(Program.ends_on, DateTime()) + timedelta(days=1), type_=DateTime(timezone=True)
    )


def match_end() -> ColumnElement[datetime]:
    """When a match ended: its `ended_at`, or its program's end for one never ended (LEAST skips NULL)."""
    return func.least(Match.ended_at, program_end(), type_=DateTime(timezone=True))


def ended_engagements(cutoff: datetime) -> Select[tuple[UUID]]:
    """Intakes whose engagement ended before `cutoff`: they have matches and every one ended by then.
    An intake never matched has no engagement, so its clock never starts."""
    return (
        select(Match.intake_id)
        .join(Program, Program.id == Match.program_id)
        .group_by(Match.intake_id)
        .having(func.max(match_end()) < cutoff)
    )


def responses_present() -> ColumnElement[bool]:
    """The intake still holds some of the participant's answers (false once they were purged)."""
    return or_(
        Intake.timezone != ERASED_TIMEZONE,
        Intake.track_reason != "",
        Intake.triggers != [],
        Intake.working_hours != [],
        Intake.languages != [],
        Intake.wanted_skills != {},
        Intake.behavioural_goals != [],
        Intake.manager_chain != [],
        Intake.political_risk_flags != [],
        Intake.case_flags != [],
    )


async def expired_intakes(session: AsyncSession, cutoff: datetime) -> Sequence[tuple[UUID, UUID]]:
    """(intake id, person id) of ended engagements' intakes that still hold responses, locked."""
    rows = await session.execute(
        select(Intake.id, Intake.person_id)
        .where(Intake.id.in_(ended_engagements(cutoff)), responses_present())
        .order_by(Intake.id)
        .with_for_update()
    )
    return [(row.id, row.person_id) for row in rows]


async def delete_responses(session: AsyncSession, intake_ids: Collection[UUID]) -> tuple[int, int]:
    """Empty the intakes' answers, and the override reasons the audit copied from them (counts)."""
    if not intake_ids:
        return 0, 0
    intakes = await session.execute(
        update(Intake).where(Intake.id.in_(intake_ids)).values(**empty_responses())
    )
    reasons = await session.execute(
        update(Decision)
        .where(
            Decision.intake_id.in_(intake_ids),
            Decision.action == "track_overridden",
            Decision.reason.is_not(None),
        )
        .values(reason=None)
    )
    return _count(intakes), _count(reasons)


async def replace_participant(
    session: AsyncSession, intake_ids_by_person: Mapping[UUID, tuple[UUID, Collection[UUID]]]
) -> int:
    """For each person, put the stand-in in their intakes and in those intakes' proposals and matches:
    `{person_id: (stand_in, intake_ids)}`; the proposal and match rows changed."""
    changed = 0
    for stand_in, intake_ids in intake_ids_by_person.values():
        await session.execute(update(Intake).where(Intake.id.in_(intake_ids)).values(person_id=stand_in))
        for statement in (
            update(Proposal).where(Proposal.intake_id.in_(intake_ids)).values(participant_id=stand_in),
            update(Match).where(Match.intake_id.in_(intake_ids)).values(participant_id=stand_in),
        ):
            changed += _count(await session.execute(statement))
    return changed


def expired_proposals_statement(cutoff: datetime) -> Select[tuple[UUID, UUID]]:
    """Decided proposals whose match ended before `cutoff`; for one no match was made from (rejected,
    superseded), the clock starts when its intake's engagement ended. Pending ones are still open."""
    own_match = (
        select(Match.id).join(Program, Program.id == Match.program_id).where(Match.proposal_id == Proposal.id)
    )
    return select(Proposal.id, Proposal.participant_id).where(
        Proposal.status != "pending",
        or_(
            own_match.where(match_end() < cutoff).exists(),
            and_(~own_match.exists(), Proposal.intake_id.in_(ended_engagements(cutoff))),
        ),
    )


async def expired_proposals(
    session: AsyncSession, cutoff: datetime, *, identified_only: bool
) -> Sequence[tuple[UUID, UUID]]:
    """(proposal id, participant id), locked; `identified_only` keeps those still naming their intake's
    person (an anonymized one names a stand-in of its own), so a repeated run finds nothing."""
    statement = expired_proposals_statement(cutoff)
    if identified_only:
        statement = statement.where(
            Proposal.participant_id
            == select(Intake.person_id).where(Intake.id == Proposal.intake_id).scalar_subquery()
        )
    rows = await session.execute(statement.order_by(Proposal.id).with_for_update())
    return [(row.id, row.participant_id) for row in rows]


async def anonymize_proposals(
    session: AsyncSession, proposal_ids_by_person: Mapping[UUID, tuple[UUID, Collection[UUID]]]
) -> tuple[int, int, int]:
    """Proposals get their person's stand-in and lose the consent choices and the reason, their ranked
    candidates lose the per-signal explanation, audit entries on them lose the reason (counts)."""
    proposals = candidates = reasons = 0
    for stand_in, proposal_ids in proposal_ids_by_person.values():
        proposals += _count(
            await session.execute(
                update(Proposal)
                .where(Proposal.id.in_(proposal_ids))
                .values(
                    participant_id=stand_in,
                    consented_fields=[],
                    excluded_signals=[],
                    consent_notice_version=None,
                    decision_reason=None,
                )
            )
        )
        candidates += _count(
            await session.execute(
                update(ProposalCandidate)
                .where(ProposalCandidate.proposal_id.in_(proposal_ids))
                .values(signals={})
            )
        )
        reasons += await clear_decision_reasons(session, proposal_ids)
    return proposals, candidates, reasons


async def clear_decision_reasons(session: AsyncSession, proposal_ids: Collection[UUID]) -> int:
    if not proposal_ids:
        return 0
    return _count(
        await session.execute(
            update(Decision)
            .where(Decision.proposal_id.in_(proposal_ids), Decision.reason.is_not(None))
            .values(reason=None)
        )
    )


async def unlink_matches(session: AsyncSession, proposal_ids: Collection[UUID]) -> None:
    """Matches made from these proposals stop pointing at them (the column is optional: a
    reassignment's match has no proposal either)."""
    if proposal_ids:
        await session.execute(
            update(Match).where(Match.proposal_id.in_(proposal_ids)).values(proposal_id=None)
        )


def _count(result: Any) -> int:
    return int(result.rowcount or 0)
