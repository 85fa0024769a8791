from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_scheduling.models import PersonStatus


async def set_active(session: AsyncSession, person_id: UUID, *, active: bool, at: datetime) -> bool:
    """Record the person's HR status as of `at`, unless a later change is already recorded.

    True when this changed the stored state (a newer status, or a first one)."""
    values = insert(PersonStatus).values(person_id=person_id, active=active, changed_at=at)
    statement = values.on_conflict_do_update(
        index_elements=[PersonStatus.person_id],
        set_={"active": values.excluded.active, "changed_at": values.excluded.changed_at},
        where=PersonStatus.changed_at < values.excluded.changed_at,
    ).returning(PersonStatus.person_id)
    return (await session.execute(statement)).first() is not None


async def deactivated_among(session: AsyncSession, person_ids: Iterable[UUID]) -> set[UUID]:
    ids = list(person_ids)
    found = await session.scalars(
        select(PersonStatus.person_id).where(PersonStatus.person_id.in_(ids), PersonStatus.active.is_(False))
    )
    return set(found.all())
