"""The erased-people record and the late-event guard, against real PostgreSQL."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.db import Database
from tandem_kit.events import EventEnvelope, Subscription, dead_letters, outbox_messages
from tandem_kit.privacy import (
    _uuids,
    erased_people,
    forget_person,
    lock_for_erasure,
    names_erased,
    person_hash,
    skip_erased,
)
from tandem_kit.testing import Infra

# Scheduling's tree builds the kit tables and the erased-people record.
MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "scheduling"
KEY = SecretStr("test-key")


@pytest.fixture
async def database(infra: Infra) -> AsyncIterator[Database]:
    db = Database(infra.fresh_database("kit_privacy", MIGRATIONS))
    yield db
    await db.dispose()


def envelope(data: dict[str, Any]) -> EventEnvelope:
    return EventEnvelope(
        id=uuid.uuid4(), type="MatchApproved", source="matching", occurred_at=datetime.now(UTC), data=data
    )


async def sent_row(session: AsyncSession, payload: dict[str, Any], *, sent: bool) -> uuid.UUID:
    row_id = uuid.uuid4()
    await session.execute(
        outbox_messages.insert().values(
            id=row_id,
            subject="tandem.matching.MatchApproved",
            payload=payload,
            published_at=func.now() if sent else None,
        )
    )
    return row_id


def test_hash_is_keyed_and_hides_the_id() -> None:
    person = uuid.uuid4()
    assert person_hash(person, KEY) == person_hash(person, SecretStr("test-key"))
    assert person_hash(person, KEY) != person_hash(person, SecretStr("other-key"))
    assert person.hex not in person_hash(person, KEY)


@given(st.recursive(st.uuids().map(str), lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner)))
def test_every_nested_id_is_found(data: Any) -> None:
    def ids(value: Any) -> set[uuid.UUID]:
        if isinstance(value, str):
            return {uuid.UUID(value)}
        items = value.values() if isinstance(value, dict) else value
        return set().union(*(ids(v) for v in items))

    assert set(_uuids(data)) == ids(data)


def test_ids_are_only_whole_uuid_strings() -> None:
    person = uuid.uuid4()
    assert list(_uuids({"a": f"user-{person}", "b": "x" * 36, "c": 7, "d": str(person)})) == [person]


async def test_forget_deletes_only_sent_events_naming_the_person(database: Database) -> None:
    person, other = uuid.uuid4(), uuid.uuid4()
    async with database.sessionmaker() as session, session.begin():
        await sent_row(session, {"data": {"participant_id": str(person)}}, sent=True)
        unsent = await sent_row(session, {"data": {"participant_id": str(person)}}, sent=False)
        theirs = await sent_row(session, {"data": {"participant_id": str(other)}}, sent=True)
    async with database.sessionmaker() as session, session.begin():
        assert await forget_person(session, person, key=KEY) == 1
        assert await forget_person(session, person, key=KEY) == 0
    async with database.sessionmaker() as session:
        left = set(await session.scalars(select(outbox_messages.c.id)))
        hashes = list(await session.scalars(select(erased_people.c.person_hash)))
    # Unsent events stay: the other services still need them (and drop them if they erased the person).
    assert left == {unsent, theirs}
    assert hashes == [person_hash(person, KEY)]


async def parked_row(session: AsyncSession, person: uuid.UUID) -> uuid.UUID:
    row_id = uuid.uuid4()
    await session.execute(
        dead_letters.insert().values(
            id=row_id,
            consumer="scheduling-match-approved",
            event_id=uuid.uuid4(),
            subject="tandem.matching.MatchApproved",
            event_type="MatchApproved",
            payload={"data": {"participant_id": str(person), "timezone": "Europe/Paris"}},
            reason="exhausted",
            error_type="OperationalError",
            error_summary="OperationalError",
            attempts=20,
        )
    )
    return row_id


async def test_forget_deletes_parked_events_naming_the_person(database: Database) -> None:
    person, other = uuid.uuid4(), uuid.uuid4()
    async with database.sessionmaker() as session, session.begin():
        await parked_row(session, person)
        theirs = await parked_row(session, other)
    async with database.sessionmaker() as session, session.begin():
        await forget_person(session, person, key=KEY)
    async with database.sessionmaker() as session:
        left = set(await session.scalars(select(dead_letters.c.id)))
    assert left == {theirs}


async def test_late_event_naming_an_erased_person_is_dropped(database: Database) -> None:
    erased, kept = uuid.uuid4(), uuid.uuid4()
    applied: list[uuid.UUID] = []

    async def handler(_session: AsyncSession, env: EventEnvelope) -> None:
        applied.append(env.id)

    guarded = skip_erased(Subscription(name="test", subjects=["x"], handler=handler), key=KEY)
    late = envelope({"match_id": str(uuid.uuid4()), "hours": [{"person": str(erased)}]})
    fresh = envelope({"match_id": str(uuid.uuid4()), "participant_id": str(kept)})
    async with database.sessionmaker() as session, session.begin():
        await forget_person(session, erased, key=KEY)
        assert await names_erased(session, late.data, key=KEY) is True
        await guarded.handler(session, late)
        await guarded.handler(session, fresh)
    assert applied == [fresh.id]


async def test_an_event_racing_an_erasure_waits_for_it_and_is_dropped(database: Database) -> None:
    """The event's check would otherwise run before the erasure commits, and its handler write the
    person's id back after the erasure deleted it (seen: a `ConsentWithdrawn` consent sends with the
    erasure, applied by another consumer at the same moment)."""
    person = uuid.uuid4()
    applied: list[uuid.UUID] = []

    async def handler(_session: AsyncSession, env: EventEnvelope) -> None:
        applied.append(env.id)

    guarded = skip_erased(Subscription(name="test", subjects=["x"], handler=handler), key=KEY)
    event = envelope({"person_id": str(person), "purpose": "vendor_sharing"})
    erasing_started, erasure_may_commit = asyncio.Event(), asyncio.Event()

    async def erase() -> None:
        async with database.sessionmaker() as session, session.begin():
            await lock_for_erasure(session, person, key=KEY)
            erasing_started.set()
            await erasure_may_commit.wait()
            await forget_person(session, person, key=KEY)

    async def consume() -> None:
        await erasing_started.wait()
        async with database.sessionmaker() as session, session.begin():
            await guarded.handler(session, event)

    erasure = asyncio.create_task(erase())
    consumer = asyncio.create_task(consume())
    await erasing_started.wait()
    done, _ = await asyncio.wait({consumer}, timeout=0.5)
    assert done == set()  # the consumer waits on the erasure's lock instead of checking too early
    erasure_may_commit.set()
    await asyncio.gather(erasure, consumer)
    assert applied == []  # once the erasure committed, the event names an erased person: dropped


async def test_events_about_other_people_do_not_wait(database: Database) -> None:
    person, other = uuid.uuid4(), uuid.uuid4()
    applied: list[uuid.UUID] = []

    async def handler(_session: AsyncSession, env: EventEnvelope) -> None:
        applied.append(env.id)

    guarded = skip_erased(Subscription(name="test", subjects=["x"], handler=handler), key=KEY)
    event = envelope({"person_id": str(other)})
    async with database.sessionmaker() as erasing, erasing.begin():
        await lock_for_erasure(erasing, person, key=KEY)
        async with database.sessionmaker() as session, session.begin():
            await asyncio.wait_for(guarded.handler(session, event), timeout=5)
    assert applied == [event.id]


def test_request_answering_subscriptions_are_not_guarded() -> None:
    async def handler(_session: AsyncSession, _env: EventEnvelope) -> None:
        return None

    sub = Subscription(name="dsr", subjects=["x"], handler=handler, drops_erased=False)
    assert skip_erased(sub, key=KEY) is sub
