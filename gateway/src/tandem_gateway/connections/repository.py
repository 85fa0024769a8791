"""SQL of external connections and authorizations in progress."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import Select, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_gateway.connections.domain import Owner
from tandem_gateway.models import ConnectionAuthorization, ExternalConnection


def owned_statement(owner: Owner) -> Select[tuple[ExternalConnection]]:
    """The connections of one owner: the readable rows for a person, object-level access built in."""
    statement = select(ExternalConnection)
    if owner.person_id is not None:
        return statement.where(ExternalConnection.person_id == owner.person_id)
    return statement.where(ExternalConnection.integration == owner.integration)


async def list_owned(session: AsyncSession, owner: Owner) -> Sequence[ExternalConnection]:
    statement = owned_statement(owner).order_by(ExternalConnection.provider)
    return (await session.scalars(statement)).all()


async def get_owned(session: AsyncSession, owner: Owner, connection_id: UUID) -> ExternalConnection | None:
    statement = owned_statement(owner).where(ExternalConnection.id == connection_id)
    return (await session.scalars(statement)).one_or_none()


async def get_by_provider(session: AsyncSession, owner: Owner, provider: str) -> ExternalConnection | None:
    statement = owned_statement(owner).where(ExternalConnection.provider == provider)
    return (await session.scalars(statement)).one_or_none()


async def lock(session: AsyncSession, connection_id: UUID) -> ExternalConnection | None:
    """The row, locked until the transaction ends: concurrent refreshers queue here."""
    statement = (
        select(ExternalConnection)
        .where(ExternalConnection.id == connection_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.scalars(statement)).one_or_none()


async def lock_by_provider(session: AsyncSession, owner: Owner, provider: str) -> ExternalConnection | None:
    statement = (
        owned_statement(owner)
        .where(ExternalConnection.provider == provider)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.scalars(statement)).one_or_none()


async def take_authorization(session: AsyncSession, hashed_state: str) -> ConnectionAuthorization | None:
    """Delete and return the authorization with this state: a state is good for one callback only."""
    statement = (
        delete(ConnectionAuthorization)
        .where(ConnectionAuthorization.state_hash == hashed_state)
        .returning(ConnectionAuthorization)
    )
    return (await session.scalars(statement)).one_or_none()


async def purge_authorizations(session: AsyncSession, now: datetime) -> None:
    await session.execute(delete(ConnectionAuthorization).where(ConnectionAuthorization.expires_at < now))


async def delete_person(session: AsyncSession, person_id: UUID) -> int:
    """Every connection row and pending authorization of a person; how many connections there were."""
    await session.execute(
        delete(ConnectionAuthorization).where(ConnectionAuthorization.person_id == person_id)
    )
    deleted = await session.execute(
        delete(ExternalConnection)
        .where(ExternalConnection.person_id == person_id)
        .returning(ExternalConnection.id)
    )
    return len(deleted.all())
