from collections.abc import Sequence
from uuid import UUID, uuid4

from sqlalchemy import Select, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from tandem_consent.access import readable_by
from tandem_consent.models import ConsentRecord, ConsentState
from tandem_kit.auth import Principal
from tandem_kit.pagination import PageParams, fetch_page


def readable_states(principal: Principal) -> Select[tuple[ConsentState]]:
    return select(ConsentState).where(readable_by(principal, ConsentState.person_id))


def readable_records(principal: Principal) -> Select[tuple[ConsentRecord]]:
    return (
        select(ConsentRecord)
        .options(joinedload(ConsentRecord.purpose))
        .where(readable_by(principal, ConsentRecord.person_id))
    )


async def states_of(
    session: AsyncSession, principal: Principal, person_ids: Sequence[UUID]
) -> Sequence[ConsentState]:
    statement = readable_states(principal).where(ConsentState.person_id.in_(person_ids))
    return (await session.scalars(statement)).all()


async def states_for_purpose(
    session: AsyncSession, principal: Principal, purpose_id: UUID, person_ids: Sequence[UUID]
) -> Sequence[ConsentState]:
    statement = readable_states(principal).where(
        ConsentState.purpose_id == purpose_id, ConsentState.person_id.in_(person_ids)
    )
    return (await session.scalars(statement)).all()


async def lock_state(session: AsyncSession, person_id: UUID, purpose_id: UUID) -> ConsentState:
    """The person's state row for the purpose, created if missing, locked until the transaction ends.

    Decisions for one person and purpose are applied one at a time, so sequence numbers never race.
    """
    await session.execute(
        insert(ConsentState)
        .values(id=uuid4(), person_id=person_id, purpose_id=purpose_id, granted=False, fields=[], sequence=0)
        .on_conflict_do_nothing(index_elements=[ConsentState.person_id, ConsentState.purpose_id])
    )
    statement = (
        select(ConsentState)
        .where(ConsentState.person_id == person_id, ConsentState.purpose_id == purpose_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.scalars(statement)).one()


async def page_records(
    session: AsyncSession,
    principal: Principal,
    person_id: UUID,
    *,
    purpose_id: UUID | None,
    page: PageParams,
) -> tuple[Sequence[ConsentRecord], int]:
    statement = readable_records(principal).where(ConsentRecord.person_id == person_id)
    if purpose_id is not None:
        statement = statement.where(ConsentRecord.purpose_id == purpose_id)
    return await fetch_page(
        session, statement.order_by(ConsentRecord.recorded_at, ConsentRecord.sequence), page
    )


async def all_records(session: AsyncSession, person_id: UUID) -> Sequence[ConsentRecord]:
    statement = (
        select(ConsentRecord)
        .options(joinedload(ConsentRecord.purpose))
        .where(ConsentRecord.person_id == person_id)
        .order_by(ConsentRecord.recorded_at, ConsentRecord.sequence)
    )
    return (await session.scalars(statement)).all()


async def scrub_evidence(session: AsyncSession, person_id: UUID) -> int:
    """Drop the capture details and free text of the person's ledger; the decisions themselves stay."""
    result = await session.scalars(
        update(ConsentRecord)
        .where(ConsentRecord.person_id == person_id)
        .values(evidence={}, evidence_reference=None, reason=None)
        .returning(ConsentRecord.id)
        .execution_options(synchronize_session=False)
    )
    return len(result.all())
