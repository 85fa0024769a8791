from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from tandem_consent import models
from tandem_consent.purpose import service
from tandem_kit.auth import Principal
from tandem_kit.graphql import exclusive_session, field, loader, parse_id, require_scope


@strawberry.type
class Notice:
    version: int
    description: str
    fields: list[str]
    published_at: datetime


@strawberry.federation.type(keys=["id"])
class Purpose:
    id: strawberry.ID
    key: str
    title: str
    description: str
    notice_version: int
    fields: list[str] = strawberry.field(description="Data-inventory fields the current notice documents.")
    created_at: datetime

    @field(description="Every published version of this purpose's notice, oldest first.")
    async def notices(self, info: Info) -> list[Notice]:
        require_scope(info, "consent:read")
        async with exclusive_session(info) as session:
            rows = await service.list_notices(session, self.key)
        return [
            Notice(version=n.version, description=n.description, fields=n.fields, published_at=n.published_at)
            for n in rows
        ]

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> "Purpose | None":
        require_scope(info, "consent:read")
        return await purpose_loader(info).load(parse_id(id))


def purpose_loader(info: Info[Any, Any]) -> DataLoader[UUID | None, Purpose | None]:
    return loader(info, "purpose_by_id", _purposes_by_ids)


async def _purposes_by_ids(
    session: AsyncSession, _principal: Principal, ids: Sequence[UUID | None]
) -> list[Purpose | None]:
    rows = {p.id: p for p in await service.purposes_by_ids(session, [i for i in ids if i is not None])}
    return [to_graphql(rows[i]) if i in rows else None for i in ids]


def to_graphql(p: models.Purpose) -> Purpose:
    return Purpose(
        id=strawberry.ID(str(p.id)),
        key=p.key,
        title=p.title,
        description=p.description,
        notice_version=p.notice_version,
        fields=p.fields,
        created_at=p.created_at,
    )


@strawberry.type
class PurposeQuery:
    @field(description="Purposes personal data may be used for.")
    async def purposes(self, info: Info) -> list[Purpose]:
        require_scope(info, "consent:read")
        async with exclusive_session(info) as session:
            return [to_graphql(p) for p in await service.list_purposes(session)]

    @field(description="One purpose by key, or null.")
    async def purpose(self, info: Info, key: str) -> Purpose | None:
        require_scope(info, "consent:read")
        async with exclusive_session(info) as session:
            found = await service.find_purpose(session, key)
        return to_graphql(found) if found else None
