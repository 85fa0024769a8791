from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from tandem_consent.inventory import repository
from tandem_consent.inventory.schemas import DataFieldCreate, DataFieldUpdate, Sensitivity
from tandem_consent.models import DataField
from tandem_kit.errors import Conflict, NotFound, Unprocessable


class DataFieldNotFound(NotFound):
    code, title = "data-field-not-found", "Data field not found"


class DataFieldExists(Conflict):
    code, title = "data-field-exists", "Data field already exists"


class UnknownDataFields(Unprocessable):
    """A data field named is not in the data inventory."""

    code, title = "unknown-data-fields", "Unknown data fields"


async def list_fields(session: AsyncSession) -> Sequence[DataField]:
    return await repository.list_all(session)


async def get_field(session: AsyncSession, key: str) -> DataField:
    field = await repository.get_by_key(session, key)
    if field is None:
        raise DataFieldNotFound(f"No data field with key {key!r}.", pointer="#/key")
    return field


async def require_known(session: AsyncSession, keys: Sequence[str], *, pointer: str) -> Sequence[DataField]:
    """The inventory rows for `keys`; 422 naming the first unknown key's position under `pointer`."""
    found = await repository.get_by_keys(session, keys)
    known = {f.key for f in found}
    unknown = [(i, k) for i, k in enumerate(keys) if k not in known]
    if unknown:
        index, key = unknown[0]
        raise UnknownDataFields(
            f"{key!r} is not in the data inventory.",
            pointer=f"{pointer}/{index}",
            unknown=[k for _, k in unknown],
        )
    return found


async def create_field(session: AsyncSession, data: DataFieldCreate) -> DataField:
    if await repository.get_by_key(session, data.key) is not None:
        raise DataFieldExists(f"A data field with key {data.key!r} exists.", pointer="#/key")
    field = DataField(**data.model_dump())
    session.add(field)
    await session.flush()
    await session.refresh(field)
    return field


async def update_field(session: AsyncSession, key: str, data: DataFieldUpdate) -> DataField:
    field = await get_field(session, key)
    for name, value in data.model_dump(exclude_none=True).items():
        setattr(field, name, value)
    await session.flush()
    await session.refresh(field)
    return field


async def confidential_keys(session: AsyncSession, keys: Sequence[str]) -> frozenset[str]:
    """Which of `keys` are confidential (covered by a consent only when named in it)."""
    found = await repository.get_by_keys(session, keys)
    return frozenset(f.key for f in found if f.sensitivity == Sensitivity.CONFIDENTIAL)
