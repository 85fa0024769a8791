from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_matching.models import DirectoryPerson

NEVER = datetime(1970, 1, 1, tzinfo=UTC)
"""The clock of a fact no event has set yet: any event is newer."""


async def lock(session: AsyncSession, person_id: UUID) -> DirectoryPerson:
    """The person's row, created empty (active, no facts, both clocks at `NEVER`) if new, locked."""
    await session.execute(
        pg_insert(DirectoryPerson)
        .values(person_id=person_id, active=True, job_at=NEVER, status_at=NEVER)
        .on_conflict_do_nothing(index_elements=["person_id"])
    )
    row: DirectoryPerson | None = await session.scalar(
        select(DirectoryPerson)
        .where(DirectoryPerson.person_id == person_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert row is not None
    return row


async def by_ids(session: AsyncSession, person_ids: Collection[UUID]) -> Sequence[DirectoryPerson]:
    if not person_ids:
        return []
    return (
        await session.scalars(select(DirectoryPerson).where(DirectoryPerson.person_id.in_(person_ids)))
    ).all()


async def count_leaders(session: AsyncSession, *, min_rank: int) -> int:
    return int(
        await session.scalar(
            select(func.count()).where(DirectoryPerson.active, DirectoryPerson.level_rank >= min_rank)
        )
        or 0
    )


async def known(session: AsyncSession) -> bool:
    return (await session.scalar(select(DirectoryPerson.person_id).limit(1))) is not None
