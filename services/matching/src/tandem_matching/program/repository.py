from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.pagination import PageParams, fetch_page
from tandem_matching.models import Cohort, DirectoryPerson, Program, Provider, WeightSetVersion


def programs_statement() -> Select[tuple[Program]]:
    # Programs carry no personal data: any caller with matching:read may see them.
    return select(Program)


async def list_programs(session: AsyncSession, page: PageParams) -> tuple[Sequence[Program], int]:
    return await fetch_page(session, programs_statement().order_by(Program.created_at, Program.id), page)


async def get_program(session: AsyncSession, program_id: UUID) -> Program | None:
    found: Program | None = await session.scalar(programs_statement().where(Program.id == program_id))
    return found


async def get_programs(session: AsyncSession, ids: Sequence[UUID]) -> Sequence[Program]:
    return (await session.scalars(programs_statement().where(Program.id.in_(ids)))).all()


async def lock_program(session: AsyncSession, program_id: UUID, *, share: bool = False) -> Program | None:
    """The program row locked for update, or (`share`) against updates only."""
    found: Program | None = await session.scalar(
        programs_statement().where(Program.id == program_id).with_for_update(read=share)
    )
    return found


async def current_weights(session: AsyncSession, program_id: UUID) -> WeightSetVersion | None:
    found: WeightSetVersion | None = await session.scalar(
        select(WeightSetVersion)
        .where(WeightSetVersion.program_id == program_id)
        .order_by(WeightSetVersion.version.desc())
        .limit(1)
    )
    return found


async def current_weights_many(
    session: AsyncSession, program_ids: Sequence[UUID]
) -> Sequence[WeightSetVersion]:
    latest = (
        select(WeightSetVersion.program_id, func.max(WeightSetVersion.version).label("version"))
        .where(WeightSetVersion.program_id.in_(program_ids))
        .group_by(WeightSetVersion.program_id)
        .subquery()
    )
    return (
        await session.scalars(
            select(WeightSetVersion).join(
                latest,
                (latest.c.program_id == WeightSetVersion.program_id)
                & (latest.c.version == WeightSetVersion.version),
            )
        )
    ).all()


async def weight_versions(session: AsyncSession, program_id: UUID) -> Sequence[WeightSetVersion]:
    return (
        await session.scalars(
            select(WeightSetVersion)
            .where(WeightSetVersion.program_id == program_id)
            .order_by(WeightSetVersion.version)
        )
    ).all()


async def list_cohorts(session: AsyncSession, program_id: UUID) -> Sequence[Cohort]:
    return (
        await session.scalars(
            select(Cohort).where(Cohort.program_id == program_id).order_by(Cohort.created_at, Cohort.id)
        )
    ).all()


async def get_cohort(session: AsyncSession, cohort_id: UUID) -> Cohort | None:
    found: Cohort | None = await session.scalar(select(Cohort).where(Cohort.id == cohort_id))
    return found


async def pool(session: AsyncSession, program_id: UUID, kind: str | None = None) -> Sequence[Provider]:
    """Every provider of a program the HR directory has not deactivated (the matching engine's view,
    not a caller's): a deactivated provider is neither ranked nor counted as capacity."""
    deactivated = select(DirectoryPerson.person_id).where(
        DirectoryPerson.person_id == Provider.person_id, DirectoryPerson.active.is_(False)
    )
    statement = select(Provider).where(Provider.program_id == program_id, ~deactivated.exists())
    if kind is not None:
        statement = statement.where(Provider.kind == kind)
    return (await session.scalars(statement.order_by(Provider.id))).all()
