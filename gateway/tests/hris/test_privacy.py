"""A person's data in the connectors: sync failures name them by the HRIS's id, so an access request
exports those rows and an erasure deletes them; an erased person is never provisioned again by a sync."""

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from tandem_devstack.fakes.workday import FakeWorkday, Worker
from tandem_gateway.models import HrisSyncFailure, Person
from tandem_kit.testing import sessionmaker_of

from .conftest import Served, Sync, connect, hr_events, person


async def test_failures_naming_a_person_are_exported_and_erased(
    gateway: FastAPI, http: httpx.AsyncClient, admin: dict[str, str], workday: Served[FakeWorkday], sync: Sync
) -> None:
    connector_id = await connect(http, admin, workday, "workday")
    workday.fake.put(
        Worker("3001", "Kathleen", "Booth", "kathleen.booth@acme.test", "Head of Labs", "wizard")
    )
    workday.fake.put(
        Worker("3002", "Sophie", "Wilson", "sophie.wilson@acme.test", "Architect", "senior", manager="3001")
    )
    run = await sync(connector_id)
    wilson = await person(gateway, workday.fake.workers["3002"].id)
    registry = gateway.state.personal_data

    async with sessionmaker_of(gateway)() as session, session.begin():
        exported = await registry.export_person(session, wilson.id)
        erased = await registry.erase_person(session, wilson.id)

    assert exported.export["hris"] == [
        {
            "run_id": run["id"],
            "run_started_at": exported.export["hris"][0]["run_started_at"],
            "external_id": workday.fake.workers["3002"].id,
            "reason": "unknown_manager",
            "attribute": "manager_id",
        }
    ]
    assert "hris 1" in erased.detail
    async with sessionmaker_of(gateway)() as session:
        left = await session.scalar(select(func.count()).select_from(HrisSyncFailure))
    assert left == 1  # Kathleen's own failure; she is not in the directory


async def test_an_erased_person_is_skipped_not_failed(
    gateway: FastAPI, http: httpx.AsyncClient, admin: dict[str, str], workday: Served[FakeWorkday], sync: Sync
) -> None:
    connector_id = await connect(http, admin, workday, "workday")
    await sync(connector_id)
    knuth = await person(gateway, workday.fake.workers["1006"].id)
    async with sessionmaker_of(gateway)() as session, session.begin():
        await gateway.state.personal_data.erase_person(session, knuth.id)
    workday.fake.change("1006", title="Professor Emeritus")
    before = len(await hr_events(gateway))

    run = await sync(connector_id)
    everyone = await sync(connector_id, full=True)

    assert (run["status"], run["records_seen"], run["records_changed"], run["records_failed"]) == (
        "succeeded",
        1,
        0,
        0,
    )
    assert (everyone["status"], everyone["records_unchanged"]) == ("succeeded", 5)
    async with sessionmaker_of(gateway)() as session:
        people = await session.scalar(select(func.count()).select_from(Person))
    assert people == 6  # no second Knuth
    assert len(await hr_events(gateway)) == before
