from datetime import datetime

import strawberry
from strawberry.types import Info
from tandem_kit.app import require_scope

from tandem_consent import models
from tandem_consent.purpose import service


@strawberry.federation.type(keys=["id"])
class Purpose:
    id: strawberry.ID
    key: str
    title: str
    description: str
    notice_version: int
    created_at: datetime


def to_graphql(p: models.Purpose) -> Purpose:
    return Purpose(
        id=strawberry.ID(str(p.id)),
        key=p.key,
        title=p.title,
        description=p.description,
        notice_version=p.notice_version,
        created_at=p.created_at,
    )


@strawberry.type
class PurposeQuery:
    @strawberry.field(description="Purposes personal data may be used for.")
    async def purposes(self, info: Info) -> list[Purpose]:
        require_scope(info, "consent:read")
        return [to_graphql(p) for p in await service.list_purposes(info.context["session"])]
