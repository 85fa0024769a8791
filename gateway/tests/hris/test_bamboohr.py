"""A BambooHR connector against the BambooHR fake over real HTTP: the "last changed" API, one employee
read per change, Inactive and deleted employees, idempotence, token expiry, 429, invalid_grant."""

from uuid import UUID

import httpx
from fastapi import FastAPI

from tandem_devstack.fakes.bamboohr import Employee, FakeBambooHR
from tandem_gateway.integrations.hris.sync import run_sync
from tandem_kit.testing import sessionmaker_of

from .conftest import Served, Sync, connect, hr_events, person, person_ids


async def test_full_sync_provisions_everyone(
    gateway: FastAPI,
    http: httpx.AsyncClient,
    admin: dict[str, str],
    bamboohr: Served[FakeBambooHR],
    sync: Sync,
) -> None:
    connector_id = await connect(http, admin, bamboohr, "bamboohr")

    run = await sync(connector_id)

    assert (run["status"], run["records_seen"], run["records_changed"]) == ("succeeded", 6, 6)
    hamilton, vaughan, johnson = [await person(gateway, e) for e in ("4", "2", "1")]
    assert (hamilton.manager_id, vaughan.manager_id, johnson.manager_id) == (vaughan.id, johnson.id, None)
    assert (hamilton.title, hamilton.level, hamilton.division, hamilton.employee_number, hamilton.email) == (
        "Staff Engineer",
        "lead",
        "Apollo",
        "E4",
        "margaret.hamilton@acme.test",
    )
    assert len(person_ids(await hr_events(gateway), "PersonProvisioned")) == 6


async def test_second_run_reads_nothing_and_changes_nothing(
    gateway: FastAPI,
    http: httpx.AsyncClient,
    admin: dict[str, str],
    bamboohr: Served[FakeBambooHR],
    sync: Sync,
) -> None:
    connector_id = await connect(http, admin, bamboohr, "bamboohr")
    await sync(connector_id)
    before, calls = await hr_events(gateway), bamboohr.fake.data_calls

    again = await sync(connector_id)
    again_calls = bamboohr.fake.data_calls - calls
    everyone = await sync(connector_id, full=True)

    assert (again["records_seen"], again_calls) == (0, 1)  # only the "changed" call
    assert (everyone["records_seen"], everyone["records_changed"], everyone["records_unchanged"]) == (6, 0, 6)
    assert await hr_events(gateway) == before


async def test_incremental_sync_reads_only_the_changed(
    gateway: FastAPI,
    http: httpx.AsyncClient,
    admin: dict[str, str],
    bamboohr: Served[FakeBambooHR],
    sync: Sync,
) -> None:
    connector_id = await connect(http, admin, bamboohr, "bamboohr")
    await sync(connector_id)
    bamboohr.fake.change("5", supervisor_eid="4", job_title="Senior Engineer", custom_level="senior")
    bamboohr.fake.put(
        Employee("7", "Evelyn", "Boyd", "evelyn.boyd@acme.test", "Analyst", "E7", supervisor_eid="3")
    )
    before, calls = len(await hr_events(gateway)), bamboohr.fake.data_calls

    run = await sync(connector_id)

    assert (run["records_seen"], run["records_changed"]) == (2, 2)
    assert bamboohr.fake.data_calls - calls == 3  # the changes, then the two employees
    allen, hamilton = await person(gateway, "5"), await person(gateway, "4")
    assert (allen.manager_id, allen.level) == (hamilton.id, "senior")
    new = (await hr_events(gateway))[before:]
    assert [e["type"] for e in new] == ["PersonJobChanged", "PersonProvisioned"]
    assert (new[0]["data"]["new"]["manager_id"], new[0]["data"]["promotion"]) == (str(hamilton.id), True)


async def test_inactive_and_deleted_employees_are_deactivated(
    gateway: FastAPI,
    http: httpx.AsyncClient,
    admin: dict[str, str],
    bamboohr: Served[FakeBambooHR],
    sync: Sync,
) -> None:
    connector_id = await connect(http, admin, bamboohr, "bamboohr")
    await sync(connector_id)
    bamboohr.fake.change("6", status="Inactive")
    bamboohr.fake.delete("5")
    before = len(await hr_events(gateway))

    run = await sync(connector_id)

    easley, allen = await person(gateway, "6"), await person(gateway, "5")
    assert (run["records_changed"], easley.active, allen.active) == (2, False, False)
    assert allen.title == "Engineer"  # a deleted record says only that the person left
    new = (await hr_events(gateway))[before:]
    assert sorted(person_ids(new, "PersonDeactivated")) == sorted([easley.id, allen.id])
    assert [e["type"] for e in new] == ["PersonDeactivated", "PersonDeactivated"]


async def test_expired_token_429_and_invalid_grant(
    gateway: FastAPI, http: httpx.AsyncClient, admin: dict[str, str], bamboohr: Served[FakeBambooHR]
) -> None:
    connector_id = UUID(await connect(http, admin, bamboohr, "bamboohr"))
    oauth = bamboohr.fake.oauth
    oauth.expire_access_tokens_after(3)  # the changes and two employees, then a 401
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    settings = gateway.state.settings
    run = await run_sync(sessionmaker_of(gateway), settings, connector_id, trigger="manual", sleep=sleep)
    assert (run.status, run.records_changed, oauth.token_requests) == (
        "succeeded",
        6,
        ["authorization_code", "refresh_token"],
    )

    bamboohr.fake.change("3", job_title="Chief Scientist")
    oauth.throttle(1, retry_after=3)
    run = await run_sync(sessionmaker_of(gateway), settings, connector_id, trigger="manual", sleep=sleep)
    assert (run.status, run.records_changed, waits) == ("succeeded", 1, [3.0])

    oauth.expire_access_tokens()
    oauth.revoke_refresh_tokens()
    run = await run_sync(sessionmaker_of(gateway), settings, connector_id, trigger="schedule", sleep=sleep)
    assert (run.status, run.error) == ("needs_reauth", "needs_reauth")
