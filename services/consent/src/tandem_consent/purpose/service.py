from collections.abc import Sequence
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from tandem_consent.inventory import service as inventory
from tandem_consent.models import Notice, Purpose
from tandem_consent.purpose import repository
from tandem_consent.purpose.schemas import PurposeCreate, PurposeUpdate
from tandem_kit.errors import Conflict, NotFound


class PurposeNotFound(NotFound):
    code, title = "purpose-not-found", "Purpose not found"


class PurposeExists(Conflict):
    code, title = "purpose-exists", "Purpose already exists"


class NoticeNotFound(NotFound):
    code, title = "notice-not-found", "Notice not found"


async def list_purposes(session: AsyncSession) -> Sequence[Purpose]:
    return await repository.list_all(session)


async def find_purpose(session: AsyncSession, key: str) -> Purpose | None:
    return await repository.get_by_key(session, key)


async def purposes_by_ids(session: AsyncSession, ids: Sequence[UUID]) -> Sequence[Purpose]:
    return await repository.get_by_ids(session, ids)


async def get_purpose(session: AsyncSession, key: str, *, pointer: str = "#/key") -> Purpose:
    purpose = await repository.get_by_key(session, key)
    if purpose is None:
        raise PurposeNotFound(f"No purpose with key {key!r}.", pointer=pointer)
    return purpose


async def create_purpose(session: AsyncSession, data: PurposeCreate) -> Purpose:
    if await repository.get_by_key(session, data.key) is not None:
        raise PurposeExists(f"A purpose with key {data.key!r} exists.", pointer="#/key")
    await inventory.require_known(session, data.fields, pointer="#/fields")
    purpose = Purpose(key=data.key, title=data.title, description=data.description, notice_version=1)
    session.add(purpose)
    await session.flush()
    session.add(_notice(purpose, data.fields))
    await session.flush()
    return await _reloaded(session, purpose)


async def update_purpose(session: AsyncSession, key: str, data: PurposeUpdate) -> Purpose:
    purpose = await get_purpose(session, key)
    if data.title is not None:
        purpose.title = data.title
    fields = purpose.fields
    if data.fields is not None:
        await inventory.require_known(session, data.fields, pointer="#/fields")
        fields = sorted(data.fields)
    described = data.description is not None and data.description != purpose.description
    if described or fields != purpose.fields:
        # A changed notice is a new notice: consent given to the old text stays tied to its version.
        purpose.description = data.description or purpose.description
        purpose.notice_version += 1
        session.add(_notice(purpose, fields))
    await session.flush()
    return await _reloaded(session, purpose)


async def list_notices(session: AsyncSession, key: str) -> Sequence[Notice]:
    return await repository.list_notices(session, await get_purpose(session, key))


async def get_notice(session: AsyncSession, key: str, version: int) -> Notice:
    notice = await repository.get_notice(session, await get_purpose(session, key), version)
    if notice is None:
        raise NoticeNotFound(f"Purpose {key!r} has no notice version {version}.", pointer="#/version")
    return notice


def _notice(purpose: Purpose, fields: Sequence[str]) -> Notice:
    return Notice(
        purpose_id=purpose.id,
        version=purpose.notice_version,
        description=purpose.description,
        fields=sorted(fields),
    )


async def _reloaded(session: AsyncSession, purpose: Purpose) -> Purpose:
    await session.refresh(purpose, ["current_notice"])
    return purpose
