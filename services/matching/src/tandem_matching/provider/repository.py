from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Select, false, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.auth import Principal
from tandem_kit.pagination import PageParams, fetch_page
from tandem_matching.models import CalibrationRecord, Provider, ProviderOutcome


def readable_statement(principal: Principal) -> Select[tuple[Provider]]:
    """Managers and machines see every provider; a person sees only their own provider rows."""
    statement = select(Provider)
    if not principal.sees_everything:
        person = principal.person_uuid  # None: a person claim that is no UUID, who sees nothing
        statement = statement.where(Provider.person_id == person if person is not None else false())
    return statement


async def get(session: AsyncSession, principal: Principal, provider_id: UUID) -> Provider | None:
    found: Provider | None = await session.scalar(
        readable_statement(principal).where(Provider.id == provider_id)
    )
    return found


async def list_for_program(
    session: AsyncSession, principal: Principal, program_id: UUID, page: PageParams
) -> tuple[Sequence[Provider], int]:
    statement = (
        readable_statement(principal)
        .where(Provider.program_id == program_id)
        .order_by(Provider.created_at, Provider.id)
    )
    return await fetch_page(session, statement, page)


async def get_many(session: AsyncSession, principal: Principal, ids: Sequence[UUID]) -> Sequence[Provider]:
    return (await session.scalars(readable_statement(principal).where(Provider.id.in_(ids)))).all()


async def by_ids(session: AsyncSession, ids: Sequence[UUID]) -> Sequence[Provider]:
    return (await session.scalars(select(Provider).where(Provider.id.in_(ids)))).all()


async def by_id(session: AsyncSession, provider_id: UUID) -> Provider | None:
    found: Provider | None = await session.get(Provider, provider_id)
    return found


async def lock(session: AsyncSession, provider_id: UUID) -> Provider | None:
    """The provider row, locked until the transaction ends: capacity checks serialise on it."""
    found: Provider | None = await session.scalar(
        select(Provider)
        .where(Provider.id == provider_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return found


async def person_of(session: AsyncSession, provider_id: UUID) -> UUID | None:
    """Whose provider row this is (None for an unknown or deleted one); not locked."""
    found: UUID | None = await session.scalar(select(Provider.person_id).where(Provider.id == provider_id))
    return found


async def find(session: AsyncSession, program_id: UUID, person_id: UUID, kind: str) -> Provider | None:
    found: Provider | None = await session.scalar(
        select(Provider).where(
            Provider.program_id == program_id, Provider.person_id == person_id, Provider.kind == kind
        )
    )
    return found


async def lock_person(session: AsyncSession, program_id: UUID, person_id: UUID) -> Sequence[Provider]:
    """The person's provider rows in the program (coach, mentor or both), locked, in id order."""
    rows = await session.scalars(
        select(Provider)
        .where(Provider.program_id == program_id, Provider.person_id == person_id)
        .order_by(Provider.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return rows.all()


def all_ids() -> Select[tuple[UUID]]:
    """Every provider, for the periodic scan: coaches' reviews and certifications lapse with time, and
    a registration racing an evidence event (neither sees the other's uncommitted row) is caught up."""
    return select(Provider.id).order_by(Provider.id)


async def lock_many(session: AsyncSession, ids: Sequence[UUID]) -> Sequence[Provider]:
    rows = await session.scalars(
        select(Provider)
        .where(Provider.id.in_(ids))
        .order_by(Provider.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return rows.all()


async def calibration_records(
    session: AsyncSession, provider_id: UUID, page: PageParams
) -> tuple[Sequence[CalibrationRecord], int]:
    """A provider's calibration records, latest first (the caller has checked it may see the provider)."""
    statement = (
        select(CalibrationRecord)
        .where(CalibrationRecord.provider_id == provider_id)
        .order_by(CalibrationRecord.held_on.desc(), CalibrationRecord.created_at.desc(), CalibrationRecord.id)
    )
    return await fetch_page(session, statement, page)


async def latest_calibration(session: AsyncSession, provider_id: UUID) -> CalibrationRecord | None:
    found: CalibrationRecord | None = await session.scalar(
        select(CalibrationRecord)
        .where(CalibrationRecord.provider_id == provider_id)
        .order_by(CalibrationRecord.held_on.desc(), CalibrationRecord.created_at.desc())
        .limit(1)
    )
    return found


async def outcome(session: AsyncSession, provider_id: UUID) -> ProviderOutcome | None:
    found: ProviderOutcome | None = await session.get(ProviderOutcome, provider_id)
    return found


async def record_outcome(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Keep the newest computation per provider; False when a newer one is already kept."""
    statement = insert(ProviderOutcome).values(values)
    result = await session.execute(
        statement.on_conflict_do_update(
            index_elements=[ProviderOutcome.provider_id],
            set_={k: statement.excluded[k] for k in values if k != "provider_id"},
            where=ProviderOutcome.computed_at < statement.excluded.computed_at,
        ).returning(ProviderOutcome.provider_id)
    )
    return result.first() is not None
