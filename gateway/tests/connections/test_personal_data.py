"""A person's connections in an access export (never tokens), and erased: revoked at the provider,
then deleted."""

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tandem_gateway.connections import people, service
from tandem_gateway.connections.domain import Owner
from tandem_gateway.models import ConnectionAuthorization, ExternalConnection

from .conftest import Served, connect, outbox

SM = async_sessionmaker[AsyncSession]


async def test_export_lists_connections_without_tokens(sessionmaker: SM, fakes: Served) -> None:
    person = uuid.uuid4()
    google = await connect(sessionmaker, fakes.configs["google"], person, "ma@acme.test")
    await connect(sessionmaker, fakes.configs["google"], uuid.uuid4(), "other@acme.test")

    async with sessionmaker() as session:
        exported = await people.export_person(session, person)

    assert [(e["id"], e["provider"], e["status"]) for e in exported] == [(str(google.id), "google", "active")]
    assert "token" not in repr(exported)


async def test_erase_revokes_then_deletes(sessionmaker: SM, fakes: Served) -> None:
    person, other = uuid.uuid4(), uuid.uuid4()
    await connect(sessionmaker, fakes.configs["google"], person, "na@acme.test")
    await connect(sessionmaker, fakes.configs["microsoft"], person, "na@acme.test")
    kept = await connect(sessionmaker, fakes.configs["google"], other, "ob@acme.test")
    async with sessionmaker() as session, session.begin():
        await service.begin_authorization(session, Owner(person_id=person), oauth=fakes.configs["google"])

    async with sessionmaker() as session, session.begin():
        erased = await people.erase_person(session, person, providers=fakes.configs)

    assert erased == 2
    assert fakes.google.oauth.live_grants("na@acme.test") == []
    assert len(fakes.google.oauth.live_grants("ob@acme.test")) == 1
    async with sessionmaker() as session:
        left = (await session.scalars(select(ExternalConnection.id))).all()
        pending = await session.scalar(
            select(func.count())
            .select_from(ConnectionAuthorization)
            .where(ConnectionAuthorization.person_id == person)
        )
    assert left == [kept.id]
    assert pending == 0
    # No new event names the erased person.
    assert await outbox(sessionmaker, "CalendarConnectionBroken") == []
