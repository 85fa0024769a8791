from collections.abc import Sequence

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_consent.models import Purpose


def purposes_statement() -> Select[tuple[Purpose]]:
    # Purposes and their notices are public to any authenticated caller: no per-owner filter.
    return select(Purpose).order_by(Purpose.key)


async def list_all(session: AsyncSession) -> Sequence[Purpose]:
    return (await session.scalars(purposes_statement())).all()


async def get_by_key(session: AsyncSession, key: str) -> Purpose | None:
    return await session.scalar(purposes_statement().where(Purpose.key == key))


async def get_by_keys(session: AsyncSession, keys: Sequence[str]) -> Sequence[Purpose]:
    return (await session.scalars(purposes_statement().where(Purpose.key.in_(keys)))).all()
