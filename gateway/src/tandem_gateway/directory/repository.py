"""SQL of the directory: people, their versions, the manager chain."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Integer, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_gateway.models import Person, PersonVersion


async def get(session: AsyncSession, person_id: UUID, *, for_update: bool = False) -> Person | None:
    statement = select(Person).where(Person.id == person_id)
    if for_update:
        statement = statement.with_for_update()
    return (await session.execute(statement)).scalar_one_or_none()


async def find(
    session: AsyncSession,
    *,
    email: str | None = None,
    external_id: str | None = None,
    user_name: str | None = None,
) -> Person | None:
    statement = select(Person)
    if email is not None:
        statement = statement.where(func.lower(Person.email) == email.lower())
    if external_id is not None:
        statement = statement.where(Person.external_id == external_id)
    if user_name is not None:
        statement = statement.where(func.lower(Person.user_name) == user_name.lower())
    # Several people may share an e-mail in a messy HRIS; the oldest record wins, deterministically.
    statement = statement.order_by(Person.created_at, Person.id).limit(1)
    return (await session.execute(statement)).scalar_one_or_none()


async def by_emails_or_external_ids(
    session: AsyncSession, *, emails: list[str], external_ids: list[str]
) -> list[Person]:
    if not emails and not external_ids:
        return []
    statement = (
        select(Person)
        .where(
            or_(
                func.lower(Person.email).in_([e.lower() for e in emails]),
                Person.external_id.in_(external_ids),
            )
        )
        .order_by(Person.created_at, Person.id)
    )
    return list((await session.execute(statement)).scalars().all())


async def user_name_holder(session: AsyncSession, user_name: str) -> UUID | None:
    statement = select(Person.id).where(func.lower(Person.user_name) == user_name.lower())
    return (await session.execute(statement)).scalar_one_or_none()


async def external_id_holder(session: AsyncSession, external_id: str) -> UUID | None:
    statement = select(Person.id).where(Person.external_id == external_id)
    return (await session.execute(statement)).scalar_one_or_none()


async def holder_of_any(session: AsyncSession, names: list[str]) -> UUID | None:
    """Who holds any of `names` as userName (case-insensitively) or externalId."""
    lowered = [name.lower() for name in names]
    statement = (
        select(Person.id)
        .where(or_(func.lower(Person.user_name).in_(lowered), Person.external_id.in_(names)))
        .limit(1)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def manager_chain(session: AsyncSession, person_id: UUID, *, limit: int = 64) -> list[UUID]:
    """The managers above `person_id`, nearest first (stops at a repeated id, so a bad row cannot loop)."""
    up = select(Person.id, Person.manager_id, literal(1, Integer).label("depth")).where(
        Person.id == person_id
    )
    chain = up.cte("chain", recursive=True)
    step = (
        select(Person.id, Person.manager_id, (chain.c.depth + 1).label("depth"))
        .join(chain, Person.id == chain.c.manager_id)
        .where(chain.c.depth < limit)
    )
    chain = chain.union(step)
    rows = (await session.execute(select(chain.c.id).where(chain.c.depth > 1).order_by(chain.c.depth))).all()
    return [row.id for row in rows]


def add_version(
    session: AsyncSession,
    person: Person,
    *,
    source: str,
    actor: str,
    effective_at: datetime,
    changed: list[str],
    values: dict[str, Any],
) -> None:
    session.add(
        PersonVersion(
            person_id=person.id,
            version=person.version,
            source=source,
            actor=actor,
            effective_at=effective_at,
            changed=changed,
            values=values,
        )
    )


async def version_at(session: AsyncSession, person_id: UUID, at: datetime) -> PersonVersion | None:
    statement = (
        select(PersonVersion)
        .where(PersonVersion.person_id == person_id, PersonVersion.effective_at <= at)
        .order_by(PersonVersion.effective_at.desc(), PersonVersion.version.desc())
        .limit(1)
    )
    return (await session.execute(statement)).scalar_one_or_none()
