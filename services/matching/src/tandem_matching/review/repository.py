from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.pagination import PageParams, fetch_page
from tandem_matching.models import Decision


async def list_for_program(
    session: AsyncSession, program_id: UUID, page: PageParams
) -> tuple[Sequence[Decision], int]:
    statement = (
        select(Decision).where(Decision.program_id == program_id).order_by(Decision.created_at, Decision.id)
    )
    return await fetch_page(session, statement, page)
