from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession
from tandem_kit.auth import Principal
from tandem_kit.errors import Conflict, NotFound

from tandem_consent.models import Purpose
from tandem_consent.purpose import repository
from tandem_consent.purpose.schemas import PurposeCreate, PurposeUpdate


class PurposeNotFound(NotFound):
    code, title = "purpose-not-found", "Purpose not found"


class PurposeExists(Conflict):
    code, title = "purpose-exists", "Purpose already exists"


async def list_purposes(session: AsyncSession) -> Sequence[Purpose]:
    return await repository.list_all(session)


async def get_purpose(session: AsyncSession, key: str) -> Purpose:
    purpose = await repository.get_by_key(session, key)
    if purpose is None:
        raise PurposeNotFound(f"No purpose with key {key!r}.", pointer="#/key")
    return purpose


async def create_purpose(session: AsyncSession, principal: Principal, data: PurposeCreate) -> Purpose:
    if await repository.get_by_key(session, data.key) is not None:
        raise PurposeExists(f"A purpose with key {data.key!r} exists.", pointer="#/key")
    purpose = Purpose(key=data.key, title=data.title, description=data.description, notice_version=1)
    session.add(purpose)
    await session.flush()
    return purpose


async def update_purpose(
    session: AsyncSession, principal: Principal, key: str, data: PurposeUpdate
) -> Purpose:
    purpose = await get_purpose(session, key)
    if data.title is not None:
        purpose.title = data.title
    if data.description is not None and data.description != purpose.description:
        # A changed notice is a new notice: consent given to the old text stays tied to its version.
        purpose.description = data.description
        purpose.notice_version += 1
    await session.flush()
    return purpose
