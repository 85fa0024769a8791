from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from tandem_consent.models import AnonymityRule, Purpose


def rules_statement() -> Select[tuple[AnonymityRule]]:
    # Rules are privacy configuration, readable by any authenticated caller.
    return (
        select(AnonymityRule)
        .join(AnonymityRule.purpose)
        .options(joinedload(AnonymityRule.purpose))
        .order_by(Purpose.key)
    )


async def list_all(session: AsyncSession) -> Sequence[AnonymityRule]:
    return (await session.scalars(rules_statement())).all()


async def get_for_purpose(session: AsyncSession, purpose_id: UUID) -> AnonymityRule | None:
    statement = rules_statement().where(AnonymityRule.purpose_id == purpose_id)
    return (await session.scalars(statement)).one_or_none()
