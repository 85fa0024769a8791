"""Every row matching holds about one person, found by their person id (the matching engine's view,
not a caller's: these run for the consent service's data-subject requests, never for a request)."""

from collections.abc import Collection, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_matching.models import Decision, Intake, Match, Proposal, ProposalCandidate, Provider


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


async def chains_naming(
    session: AsyncSession, person_id: UUID
) -> tuple[Sequence[Intake], Sequence[Provider]]:
    """Other people's rows whose manager chain names the person (their manager or skip-level)."""
    needle = [str(person_id)]
    intakes = (await session.scalars(select(Intake).where(Intake.manager_chain.contains(needle)))).all()
    providers = (await session.scalars(select(Provider).where(Provider.manager_chain.contains(needle)))).all()
    return intakes, providers


def _count(result: Any) -> int:
    return int(result.rowcount or 0)
