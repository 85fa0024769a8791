from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import Select, false, select
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.auth import Principal
from tandem_kit.pagination import PageParams, fetch_page
from tandem_matching.models import Intake


def readable_statement(principal: Principal) -> Select[tuple[Intake]]:
    statement = select(Intake)
    if not principal.sees_everything:
        person = principal.person_uuid  # None: a person claim that is no UUID, who sees nothing
        statement = statement.where(Intake.person_id == person if person is not None else false())
    return statement


async def get(session: AsyncSession, principal: Principal, intake_id: UUID) -> Intake | None:
    found: Intake | None = await session.scalar(readable_statement(principal).where(Intake.id == intake_id))
    return found


async def find(session: AsyncSession, program_id: UUID, person_id: UUID) -> Intake | None:
    found: Intake | None = await session.scalar(
        select(Intake).where(Intake.program_id == program_id, Intake.person_id == person_id)
    )
    return found


async def list_for_program(
    session: AsyncSession, principal: Principal, program_id: UUID, page: PageParams
) -> tuple[Sequence[Intake], int]:
    statement = (
        readable_statement(principal)
        .where(Intake.program_id == program_id)
        .order_by(Intake.created_at, Intake.id)
    )
    return await fetch_page(session, statement, page)


async def in_cohort(session: AsyncSession, cohort_id: UUID) -> Sequence[Intake]:
    return (
        await session.scalars(select(Intake).where(Intake.cohort_id == cohort_id).order_by(Intake.id))
    ).all()


async def by_ids(session: AsyncSession, ids: Sequence[UUID]) -> Sequence[Intake]:
    return (await session.scalars(select(Intake).where(Intake.id.in_(ids)))).all()
