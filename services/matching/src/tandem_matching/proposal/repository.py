from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import Select, false, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.auth import Principal
from tandem_kit.pagination import PageParams, fetch_page
from tandem_matching.models import Proposal, ProposalCandidate


def readable_statement(principal: Principal) -> Select[tuple[Proposal]]:
    """Managers and machines see every proposal; a participant only their own (rankings of others stay private)."""
    statement = select(Proposal)
    if not principal.sees_everything:
        person = principal.person_uuid  # None: a person claim that is no UUID, who sees nothing
        statement = statement.where(Proposal.participant_id == person if person is not None else false())
    return statement


async def get(session: AsyncSession, principal: Principal, proposal_id: UUID) -> Proposal | None:
    found: Proposal | None = await session.scalar(
        readable_statement(principal).where(Proposal.id == proposal_id)
    )
    return found


async def get_many(session: AsyncSession, principal: Principal, ids: Sequence[UUID]) -> Sequence[Proposal]:
    return (await session.scalars(readable_statement(principal).where(Proposal.id.in_(ids)))).all()


async def lock(session: AsyncSession, proposal_id: UUID) -> Proposal | None:
    found: Proposal | None = await session.scalar(
        select(Proposal)
        .where(Proposal.id == proposal_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return found


async def list_for_program(
    session: AsyncSession,
    principal: Principal,
    program_id: UUID,
    page: PageParams,
    *,
    status: str | None = None,
) -> tuple[Sequence[Proposal], int]:
    statement = readable_statement(principal).where(Proposal.program_id == program_id)
    if status is not None:
        statement = statement.where(Proposal.status == status)
    return await fetch_page(session, statement.order_by(Proposal.created_at, Proposal.id), page)


async def candidates_of(session: AsyncSession, proposal_ids: Sequence[UUID]) -> Sequence[ProposalCandidate]:
    return (
        await session.scalars(
            select(ProposalCandidate)
            .where(ProposalCandidate.proposal_id.in_(proposal_ids))
            .order_by(ProposalCandidate.proposal_id, ProposalCandidate.rank)
        )
    ).all()


async def supersede_pending(session: AsyncSession, intake_id: UUID, kind: str) -> None:
    await session.execute(
        update(Proposal)
        .where(Proposal.intake_id == intake_id, Proposal.provider_kind == kind, Proposal.status == "pending")
        .values(status="superseded")
    )


async def pending_of_participant(session: AsyncSession, person_id: UUID) -> Sequence[Proposal]:
    return (
        await session.scalars(
            select(Proposal)
            .where(Proposal.participant_id == person_id, Proposal.status == "pending")
            .order_by(Proposal.id)
            .with_for_update()
        )
    ).all()
