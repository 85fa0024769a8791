from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_matching.models import Decision


async def list_for_program(session: AsyncSession, program_id: UUID) -> Sequence[Decision]:
    return (
        await session.scalars(
            select(Decision)
            .where(Decision.program_id == program_id)
            .order_by(Decision.created_at, Decision.id)
        )
    ).all()
