from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from tandem_consent.models import Notice, Purpose


def purposes_statement() -> Select[tuple[Purpose]]:
    # Purposes and their notices are public to any authenticated caller: no per-owner filter.
    return select(Purpose).options(joinedload(Purpose.current_notice)).order_by(Purpose.key)


async def list_all(session: AsyncSession) -> Sequence[Purpose]:
    return (await session.scalars(purposes_statement())).all()


async def get_by_key(session: AsyncSession, key: str) -> Purpose | None:
    return (await session.scalars(purposes_statement().where(Purpose.key == key))).one_or_none()


async def get_by_ids(session: AsyncSession, ids: Sequence[UUID]) -> Sequence[Purpose]:
    return (await session.scalars(purposes_statement().where(Purpose.id.in_(ids)))).all()


async def list_notices(session: AsyncSession, purpose: Purpose) -> Sequence[Notice]:
    statement = select(Notice).where(Notice.purpose_id == purpose.id).order_by(Notice.version)
    return (await session.scalars(statement)).all()


async def get_notice(session: AsyncSession, purpose: Purpose, version: int) -> Notice | None:
    statement = select(Notice).where(Notice.purpose_id == purpose.id, Notice.version == version)
    return (await session.scalars(statement)).one_or_none()
