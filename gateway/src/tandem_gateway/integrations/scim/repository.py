"""SQL of the SCIM endpoints: people and groups as SCIM lists them (deleted people left out)."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from tandem_gateway.models import Group, GroupMember, Person


def visible_people(condition: ColumnElement[bool] | None = None) -> ColumnElement[bool]:
    listed = Person.deleted_at.is_(None)
    return listed if condition is None else listed & condition


async def person(session: AsyncSession, person_id: UUID) -> Person | None:
    statement = select(Person).where(Person.id == person_id, visible_people())
    return (await session.execute(statement)).scalar_one_or_none()


async def deleted_holder(session: AsyncSession, user_name: str) -> Person | None:
    """A SCIM-deleted person holding `user_name` (a re-created user gets their person back)."""
    statement = select(Person).where(
        func.lower(Person.user_name) == user_name.lower(), Person.deleted_at.is_not(None)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def page_of_people(
    session: AsyncSession, condition: ColumnElement[bool] | None, *, offset: int, limit: int
) -> tuple[Sequence[Person], int]:
    where = visible_people(condition)
    total = await session.scalar(select(func.count()).select_from(Person).where(where))
    rows: Sequence[Person] = []
    if limit > 0:
        statement = (
            select(Person).where(where).order_by(Person.created_at, Person.id).offset(offset).limit(limit)
        )
        rows = (await session.execute(statement)).scalars().all()
    return rows, int(total or 0)


async def group(session: AsyncSession, group_id: UUID) -> Group | None:
    return await session.get(Group, group_id)


async def group_by_name(session: AsyncSession, display_name: str) -> Group | None:
    statement = select(Group).where(func.lower(Group.display_name) == display_name.lower())
    return (await session.execute(statement)).scalar_one_or_none()


async def page_of_groups(
    session: AsyncSession, condition: ColumnElement[bool] | None, *, offset: int, limit: int
) -> tuple[Sequence[Group], int]:
    statement = select(Group)
    count = select(func.count()).select_from(Group)
    if condition is not None:
        statement, count = statement.where(condition), count.where(condition)
    total = await session.scalar(count)
    rows: Sequence[Group] = []
    if limit > 0:
        ordered = statement.order_by(Group.created_at, Group.id).offset(offset).limit(limit)
        rows = (await session.execute(ordered)).scalars().all()
    return rows, int(total or 0)


async def members(
    session: AsyncSession, group_ids: Sequence[UUID]
) -> dict[UUID, list[tuple[UUID, str | None]]]:
    """Each group's members (id, display name), for all the groups at once."""
    statement = (
        select(GroupMember.group_id, Person.id, Person.display_name)
        .join(Person, Person.id == GroupMember.person_id)
        .where(GroupMember.group_id.in_(group_ids))
        .order_by(GroupMember.group_id, Person.id)
    )
    found: dict[UUID, list[tuple[UUID, str | None]]] = {group_id: [] for group_id in group_ids}
    for group_id, person_id, display_name in (await session.execute(statement)).all():
        found[group_id].append((person_id, display_name))
    return found


async def existing_people(session: AsyncSession, person_ids: set[UUID]) -> set[UUID]:
    statement = select(Person.id).where(Person.id.in_(person_ids), visible_people())
    return set((await session.execute(statement)).scalars().all())


async def set_members(session: AsyncSession, group_id: UUID, person_ids: set[UUID]) -> None:
    await session.execute(delete(GroupMember).where(GroupMember.group_id == group_id))
    session.add_all(GroupMember(group_id=group_id, person_id=p) for p in sorted(person_ids))
    await session.flush()
