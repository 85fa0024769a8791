"""The directory projection: upserted from the gateway's HR events, idempotent, never older over newer."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from tandem_kit.events import InvalidEvent
from tandem_kit.testing import sessionmaker_of
from tandem_matching.models import DirectoryPerson

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


async def row_of(app: FastAPI, person_id: uuid.UUID) -> DirectoryPerson | None:
    async with sessionmaker_of(app)() as session:
        found: DirectoryPerson | None = await session.scalar(
            select(DirectoryPerson).where(DirectoryPerson.person_id == person_id)
        )
        return found


def facts(row: DirectoryPerson | None) -> tuple[Any, ...]:
    assert row is not None
    return (row.active, row.level, row.level_rank, row.department, row.manager_id, row.hire_date)


async def test_provisioned_keeps_only_what_matching_uses(app: FastAPI, client: Any, hr: Any) -> None:
    person, manager = uuid.uuid4(), uuid.uuid4()
    data = hr.provisioned(
        person,
        at=T0,
        level="L5",
        level_rank=5,
        department="Platform",
        manager_id=manager,
        hire_date="2019-04-01",
    )
    assert await hr.apply(hr.envelope("PersonProvisioned", data)) is True
    row = await row_of(app, person)
    assert facts(row) == (True, "L5", 5, "Platform", manager, datetime(2019, 4, 1).date())
    assert row is not None
    assert (row.job_at, row.status_at) == (T0, T0)


async def test_redelivery_and_replay_change_nothing(app: FastAPI, client: Any, hr: Any) -> None:
    person = uuid.uuid4()
    event = hr.envelope("PersonProvisioned", hr.provisioned(person, at=T0, level="L3", level_rank=3))
    assert await hr.apply(event) is True
    # The same envelope again: the kit applies an event id once.
    assert await hr.apply(event) is False
    # The same facts in a new envelope (a replayed sync): applied, harmless.
    replay = hr.envelope("PersonProvisioned", hr.provisioned(person, at=T0, level="L3", level_rank=3))
    assert await hr.apply(replay) is True
    assert facts(await row_of(app, person)) == (True, "L3", 3, None, None, None)


async def test_an_older_job_change_never_overwrites_a_newer_one(app: FastAPI, client: Any, hr: Any) -> None:
    person = uuid.uuid4()
    await hr.send(
        "PersonProvisioned", hr.provisioned(person, at=T0, level="L3", level_rank=3, department="Ops")
    )
    newer = {"level": "L5", "level_rank": 5, "department": "Platform", "manager_id": None}
    older = {"level": "L4", "level_rank": 4, "department": "Data", "manager_id": None}
    await hr.send("PersonJobChanged", job_change(person, new=newer, at=T0 + timedelta(days=2)))
    await hr.send("PersonJobChanged", job_change(person, new=older, at=T0 + timedelta(days=1)))
    # A provisioning snapshot from before both changes arrives last: its job facts are older too.
    await hr.send("PersonProvisioned", hr.provisioned(person, at=T0 - timedelta(days=1), level_rank=1))
    assert facts(await row_of(app, person))[:4] == (True, "L5", 5, "Platform")


async def test_a_late_reactivation_does_not_undo_a_newer_deactivation(
    app: FastAPI, client: Any, hr: Any
) -> None:
    person = uuid.uuid4()
    await hr.send("PersonProvisioned", hr.provisioned(person, at=T0))
    await hr.send("PersonDeactivated", deactivated(person, at=T0 + timedelta(days=3)))
    await hr.send(
        "PersonReactivated",
        {"person_id": str(person), "reactivated_at": (T0 + timedelta(days=2)).isoformat(), "source": "scim"},
    )
    row = await row_of(app, person)
    assert row is not None
    assert (row.active, row.status_at) == (False, T0 + timedelta(days=3))


async def test_events_before_provisioning_still_count(app: FastAPI, client: Any, hr: Any) -> None:
    """A job change can overtake the provisioning on the broker; the later provisioning fills the rest."""
    person = uuid.uuid4()
    new = {"level": "L6", "level_rank": 6, "department": "Data", "manager_id": None}
    await hr.send("PersonJobChanged", job_change(person, new=new, at=T0 + timedelta(hours=1)))
    await hr.send("PersonProvisioned", hr.provisioned(person, at=T0, level_rank=2, hire_date="2020-01-01"))
    assert facts(await row_of(app, person)) == (True, "L6", 6, "Data", None, datetime(2020, 1, 1).date())


async def test_a_payload_without_its_time_is_invalid(app: FastAPI, client: Any, hr: Any) -> None:
    with pytest.raises(InvalidEvent, match="PersonDeactivated: deactivated_at: missing"):
        await hr.apply(hr.envelope("PersonDeactivated", {"person_id": str(uuid.uuid4()), "source": "scim"}))


async def test_provisioned_from_the_broker(app: FastAPI, hr: Any) -> None:
    person = uuid.uuid4()
    await hr.publish("PersonProvisioned", hr.provisioned(person, at=T0, level="L4", level_rank=4))
    async with app.state.database.sessionmaker() as session:
        row = await session.scalar(select(DirectoryPerson).where(DirectoryPerson.person_id == person))
    assert facts(row) == (True, "L4", 4, None, None, None)


def job_change(person: uuid.UUID, *, new: dict[str, Any], at: datetime) -> dict[str, Any]:
    old = {"title": "Engineer", "level": None, "level_rank": None, "department": None, "manager_id": None}
    return {
        "person_id": str(person),
        "old": old,
        "new": {"title": "Engineer", **new},
        "promotion": False,
        "effective_at": at.isoformat(),
        "source": "scim",
    }


def deactivated(person: uuid.UUID, *, at: datetime) -> dict[str, Any]:
    return {"person_id": str(person), "deactivated_at": at.isoformat(), "source": "scim"}
