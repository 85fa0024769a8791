"""apply_person, find_person, person_at on a real database: diffs, versions, events, validation."""

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_gateway.directory.schemas import PersonRecord
from tandem_gateway.directory.service import (
    InvalidAttribute,
    UserNameTaken,
    VersionMismatch,
    apply_person,
    find_person,
    person_at,
)
from tandem_gateway.models import PersonVersion

Outbox = Callable[[], Awaitable[list[dict[str, Any]]]]


def record(user_name: str = "ada@example.com", **values: Any) -> PersonRecord:
    return PersonRecord(user_name=user_name, **values)


async def test_create_emits_provisioned_with_contract_fields(session: AsyncSession, outbox: Outbox) -> None:
    result = await apply_person(
        session,
        record(
            title="Engineer",
            level="senior",
            department="R&D",
            hire_date=date(2024, 3, 1),
            timezone="Europe/Paris",
        ),
        person_id=None,
        source="scim",
        actor="entra",
    )

    assert result.created
    [envelope] = await outbox()
    assert envelope["type"] == "PersonProvisioned"
    assert envelope["source"] == "gateway"
    data = envelope["data"]
    assert data["person_id"] == str(result.person.id)
    assert (data["title"], data["level"], data["level_rank"], data["source"]) == (
        "Engineer",
        "senior",
        3,
        "scim",
    )
    assert (data["hire_date"], data["timezone"], data["manager_id"]) == ("2024-03-01", "Europe/Paris", None)


async def test_no_change_writes_nothing(session: AsyncSession, outbox: Outbox) -> None:
    first = await apply_person(
        session, record(title="Engineer"), person_id=None, source="scim", actor="entra"
    )

    again = await apply_person(
        session, record(title="Engineer"), person_id=first.person.id, source="scim", actor="entra"
    )

    assert again.unchanged
    assert [e["type"] for e in await outbox()] == ["PersonProvisioned"]
    versions = await session.scalar(select(func.count()).select_from(PersonVersion))
    assert versions == 1
    assert again.person.version == 1


async def test_promotion_and_deactivation(session: AsyncSession, outbox: Outbox) -> None:
    boss = await apply_person(
        session, record("boss@example.com"), person_id=None, source="api", actor="admin"
    )
    ada = await apply_person(session, record(level="senior"), person_id=None, source="scim", actor="entra")

    await apply_person(
        session,
        record(level="lead", manager_id=boss.person.id),
        person_id=ada.person.id,
        source="workday",
        actor="sync",
    )
    await apply_person(session, record(active=False), person_id=ada.person.id, source="scim", actor="entra")
    await apply_person(session, record(active=True), person_id=ada.person.id, source="scim", actor="entra")

    events = await outbox()
    assert [e["type"] for e in events] == [
        "PersonProvisioned",
        "PersonProvisioned",
        "PersonJobChanged",
        "PersonDeactivated",
        "PersonReactivated",
    ]
    changed = events[2]["data"]
    assert changed["promotion"] is True
    assert changed["old"] == {
        "title": None,
        "level": "senior",
        "level_rank": 3,
        "department": None,
        "manager_id": None,
    }
    assert (changed["new"]["level_rank"], changed["new"]["manager_id"]) == (4, str(boss.person.id))
    assert events[3]["data"]["source"] == "scim"


async def test_only_set_fields_are_applied(session: AsyncSession) -> None:
    ada = await apply_person(
        session, record(level="senior", title="Engineer"), person_id=None, source="scim", actor="x"
    )

    await apply_person(
        session, record(title="Staff Engineer"), person_id=ada.person.id, source="bamboohr", actor="y"
    )

    assert (ada.person.level, ada.person.title, ada.person.version) == ("senior", "Staff Engineer", 2)


async def test_unknown_level_names_the_attribute(session: AsyncSession) -> None:
    with pytest.raises(InvalidAttribute) as caught:
        await apply_person(session, record(level="wizard"), person_id=None, source="scim", actor="entra")
    assert caught.value.attribute == "level"


async def test_unknown_manager_names_the_attribute(session: AsyncSession) -> None:
    with pytest.raises(InvalidAttribute) as caught:
        await apply_person(session, record(manager_id=uuid4()), person_id=None, source="scim", actor="entra")
    assert caught.value.attribute == "manager_id"


async def test_manager_cycle_is_refused(session: AsyncSession) -> None:
    a = await apply_person(session, record("a@example.com"), person_id=None, source="api", actor="admin")
    b = await apply_person(
        session, record("b@example.com", manager_id=a.person.id), person_id=None, source="api", actor="admin"
    )
    c = await apply_person(
        session, record("c@example.com", manager_id=b.person.id), person_id=None, source="api", actor="admin"
    )

    with pytest.raises(InvalidAttribute, match="cycle") as caught:
        await apply_person(
            session,
            record("a@example.com", manager_id=c.person.id),
            person_id=a.person.id,
            source="api",
            actor="x",
        )
    assert caught.value.attribute == "manager_id"


async def test_user_name_unique_case_insensitively(session: AsyncSession) -> None:
    await apply_person(session, record("Ada@Example.com"), person_id=None, source="scim", actor="entra")

    with pytest.raises(UserNameTaken):
        await apply_person(session, record("ada@example.COM"), person_id=None, source="scim", actor="entra")


async def test_stale_version_is_refused(session: AsyncSession) -> None:
    ada = await apply_person(session, record(), person_id=None, source="scim", actor="entra")
    await apply_person(session, record(title="CTO"), person_id=ada.person.id, source="scim", actor="entra")

    with pytest.raises(VersionMismatch):
        await apply_person(
            session,
            record(title="CEO"),
            person_id=ada.person.id,
            source="scim",
            actor="entra",
            expected_version=1,
        )


async def test_find_person_by_each_key(session: AsyncSession) -> None:
    ada = await apply_person(
        session,
        record("ada", email="Ada@Example.com", external_id="W-1"),
        person_id=None,
        source="api",
        actor="x",
    )

    assert await find_person(session, email="ada@example.com") is ada.person
    assert await find_person(session, external_id="W-1") is ada.person
    assert await find_person(session, user_name="ADA") is ada.person
    assert await find_person(session, external_id="W-2") is None


async def test_level_on_a_date(session: AsyncSession) -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    ada = await apply_person(
        session, record(level="senior"), person_id=None, source="workday", actor="sync", effective_at=start
    )
    await apply_person(
        session,
        record(level="manager"),
        person_id=ada.person.id,
        source="workday",
        actor="sync",
        effective_at=start + timedelta(days=180),
    )

    before = await person_at(session, ada.person.id, start - timedelta(days=1))
    during = await person_at(session, ada.person.id, start + timedelta(days=179))
    after = await person_at(session, ada.person.id, start + timedelta(days=181))

    assert before is None
    assert during is not None
    assert during.record.level == "senior"
    assert after is not None
    assert (after.record.level, after.version, after.source) == ("manager", 2, "workday")
