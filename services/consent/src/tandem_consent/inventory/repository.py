from collections.abc import Iterable, Sequence

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_consent.models import DataField


def fields_statement() -> Select[tuple[DataField]]:
    # The inventory documents what Tandem processes: public to any authenticated caller.
    return select(DataField).order_by(DataField.key)


async def list_all(session: AsyncSession) -> Sequence[DataField]:
    return (await session.scalars(fields_statement())).all()


async def get_by_key(session: AsyncSession, key: str) -> DataField | None:
    return (await session.scalars(fields_statement().where(DataField.key == key))).one_or_none()


async def get_by_keys(session: AsyncSession, keys: Iterable[str]) -> Sequence[DataField]:
    return (await session.scalars(fields_statement().where(DataField.key.in_(list(keys))))).all()
