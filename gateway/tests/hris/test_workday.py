"""A Workday connector against the Workday fake over real HTTP: authorization code, full and
incremental syncs, idempotence, a terminated worker, token expiry mid-sync, 429, invalid_grant."""

from uuid import UUID

import httpx
from fastapi import FastAPI

from tandem_devstack.fakes.workday import FakeWorkday, Worker
from tandem_gateway.integrations.hris.sync import run_sync
from tandem_kit.testing import sessionmaker_of

from .conftest import Served, Sync, connect, hr_events, person, person_ids


async def test_full_sync_provisions_everyone_managers_first(
    gateway: FastAPI, http: httpx.AsyncClient, admin: dict[str, str], workday: Served[FakeWorkday], sync: Sync
) -> None:
    connector_id = await connect(http, admin, workday, "workday")
    run = await sync(connector_id)
    assert (run["status"], run["records_seen"], run["records_changed"], run["records_failed"]) == (
        "succeeded",
        6,
        6,
        0,
    )
    assert run["changed_since"] is None
    workers = workday.fake.workers
    dijkstra, turing, hopper = [await person(gateway, workers[e].id) for e in ("1004", "1002", "1001")]
    assert (dijkstra.manager_id, turing.manager_id, hopper.manager_id) == (turing.id, hopper.id, None)
    assert (dijkstra.title, dijkstra.level, dijkstra.department, dijkstra.employee_number) == (
        "Senior Engineer",
        "senior",
        "Engineering",
        "1004",
    )
    assert dijkstra.user_name == "edsger.dijkstra@acme.test"
    events = await hr_events(gateway)
    assert [e["type"] for e in events] == ["PersonProvisioned"] * 6
    assert {e["data"]["source"] for e in events} == {"workday"}
    # The fake lists reports before their managers; the directory got the managers first.
    assert person_ids(events, "PersonProvisioned")[0] == hopper.id


async def test_second_run_changes_nothing(
    gateway: FastAPI, http: httpx.AsyncClient, admin: dict[str, str], workday: Served[FakeWorkday], sync: Sync
) -> None:
    connector_id = await connect(http, admin, workday, "workday")
    first = await sync(connector_id)
    before = await hr_events(gateway)

    again = await sync(connector_id)
    everyone = await sync(connector_id, full=True)

    assert (again["status"], again["records_seen"], again["changed_since"]) == (
        "succeeded",
        0,
        first["changed_through"],
    )
    assert (everyone["records_seen"], everyone["records_changed"], everyone["records_unchanged"]) == (6, 0, 6)
    assert await hr_events(gateway) == before


async def test_incremental_sync_reads_only_the_changed(
    gateway: FastAPI, http: httpx.AsyncClient, admin: dict[str, str], workday: Served[FakeWorkday], sync: Sync
) -> None:
    connector_id = await connect(http, admin, workday, "workday")
    await sync(connector_id)
    workday.fake.change("1005", title="Senior Engineer", level="senior")
    workday.fake.put(
        Worker("1007", "Radia", "Perlman", "radia.perlman@acme.test", "Engineer", manager="1002")
    )
    before = len(await hr_events(gateway))

    run = await sync(connector_id)

    assert (run["records_seen"], run["records_changed"], run["records_unchanged"]) == (2, 2, 0)
    new = (await hr_events(gateway))[before:]
    liskov = await person(gateway, workday.fake.workers["1005"].id)
    perlman = await person(gateway, workday.fake.workers["1007"].id)
    assert [(e["type"], UUID(e["data"]["person_id"])) for e in new] == [
        ("PersonJobChanged", liskov.id),
        ("PersonProvisioned", perlman.id),
    ]
    changed = new[0]["data"]
    assert (changed["old"]["level"], changed["new"]["level"], changed["promotion"]) == (
        "professional",
        "senior",
        True,
    )


async def test_terminated_worker_is_deactivated(
    gateway: FastAPI, http: httpx.AsyncClient, admin: dict[str, str], workday: Served[FakeWorkday], sync: Sync
) -> None:
    connector_id = await connect(http, admin, workday, "workday")
    await sync(connector_id)
    workday.fake.change("1006", terminated=True)
    before = len(await hr_events(gateway))

    run = await sync(connector_id)

    knuth = await person(gateway, workday.fake.workers["1006"].id)
    assert (run["records_changed"], knuth.active) == (1, False)
    new = (await hr_events(gateway))[before:]
    assert [e["type"] for e in new] == ["PersonDeactivated"]
    assert (UUID(new[0]["data"]["person_id"]), new[0]["data"]["source"]) == (knuth.id, "workday")


async def test_token_expiring_mid_sync_is_refreshed_once_and_the_sync_goes_on(
    gateway: FastAPI, http: httpx.AsyncClient, admin: dict[str, str], workday: Served[FakeWorkday], sync: Sync
) -> None:
    connector_id = await connect(http, admin, workday, "workday")
    workday.fake.oauth.expire_access_tokens_after(1)  # the first page is answered, the second meets a 401

    run = await sync(connector_id)

    assert (run["status"], run["records_changed"]) == ("succeeded", 6)
    assert workday.fake.oauth.token_requests == ["authorization_code", "refresh_token"]
    # The rotated refresh token was saved: the old one is spent, and the next refresh still works.
    workday.fake.oauth.expire_access_tokens()
    workday.fake.change("1004", title="Principal Engineer")
    again = await sync(connector_id)
    assert (again["status"], again["records_changed"]) == ("succeeded", 1)
    assert workday.fake.oauth.token_requests == ["authorization_code", "refresh_token", "refresh_token"]


async def test_429_waits_as_long_as_retry_after_says(
    gateway: FastAPI, http: httpx.AsyncClient, admin: dict[str, str], workday: Served[FakeWorkday]
) -> None:
    connector_id = await connect(http, admin, workday, "workday")
    workday.fake.oauth.throttle(2, retry_after=7)
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    run = await run_sync(
        sessionmaker_of(gateway), gateway.state.settings, UUID(connector_id), trigger="manual", sleep=sleep
    )

    assert (run.status, run.records_changed) == ("succeeded", 6)
    assert waits == [7.0, 7.0]
    assert workday.fake.oauth.throttled == 2


async def test_invalid_grant_marks_the_connector_needs_reauth(
    gateway: FastAPI, http: httpx.AsyncClient, admin: dict[str, str], workday: Served[FakeWorkday], sync: Sync
) -> None:
    connector_id = await connect(http, admin, workday, "workday")
    workday.fake.oauth.expire_access_tokens()
    workday.fake.oauth.revoke_refresh_tokens()

    run = await sync(connector_id)

    assert (run["status"], run["error"], run["records_seen"]) == ("needs_reauth", "needs_reauth", 0)
    shown = await http.get(f"/api/v1/admin/hris/connectors/{connector_id}", headers=admin)
    assert shown.json()["connection_status"] == "needs_reauth"
    assert await hr_events(gateway) == []


async def test_a_record_the_directory_refuses_is_recorded_and_retried(
    gateway: FastAPI, http: httpx.AsyncClient, admin: dict[str, str], workday: Served[FakeWorkday], sync: Sync
) -> None:
    connector_id = await connect(http, admin, workday, "workday")
    workday.fake.change("1005", level="wizard")  # not on the ladder

    run = await sync(connector_id)

    liskov = workday.fake.workers["1005"].id
    assert (run["status"], run["records_changed"], run["records_failed"]) == ("partial", 5, 1)
    assert run["failures"] == [{"external_id": liskov, "reason": "invalid_value", "attribute": "level"}]
    # The cursor stayed: the refused record is asked for again, and goes in once it is fixed.
    workday.fake.change("1005", level="professional")
    retried = await sync(connector_id)
    assert (retried["changed_since"], retried["records_changed"], retried["status"]) == (None, 1, "succeeded")
    runs = await http.get(f"/api/v1/admin/hris/connectors/{connector_id}/runs", headers=admin)
    assert [r["status"] for r in runs.json()["items"]] == ["succeeded", "partial"]


async def test_a_worker_whose_manager_cannot_be_set_still_goes_in(
    gateway: FastAPI, http: httpx.AsyncClient, admin: dict[str, str], workday: Served[FakeWorkday], sync: Sync
) -> None:
    connector_id = await connect(http, admin, workday, "workday")
    workday.fake.put(
        Worker("3001", "Kathleen", "Booth", "kathleen.booth@acme.test", "Head of Labs", "wizard")
    )
    workday.fake.put(
        Worker("3002", "Sophie", "Wilson", "sophie.wilson@acme.test", "Architect", "senior", manager="3001")
    )
    workday.fake.put(Worker("3003", "Jean", "Sammet", "jean.sammet@acme.test", "Engineer", manager="3004"))
    workday.fake.put(
        Worker("3004", "Betty", "Holberton", "betty.holberton@acme.test", "Engineer", manager="3003")
    )
    booth, wilson, sammet, holberton = (workday.fake.workers[e].id for e in ("3001", "3002", "3003", "3004"))

    run = await sync(connector_id)

    assert (run["status"], run["records_changed"]) == ("partial", 9)
    assert sorted((f["external_id"], f["reason"]) for f in run["failures"]) == sorted(
        [
            (booth, "invalid_value"),
            (wilson, "unknown_manager"),
            (sammet, "manager_cycle"),
            (holberton, "manager_cycle"),
        ]
    )
    # Sophie is in the directory, without a manager until Kathleen can be.
    assert (await person(gateway, wilson)).manager_id is None
    workday.fake.change("3001", level="director")
    workday.fake.change("3004", manager=None)
    fixed = await sync(connector_id)
    assert (fixed["status"], fixed["records_failed"]) == ("succeeded", 0)
    assert (await person(gateway, wilson)).manager_id == (await person(gateway, booth)).id
    assert (await person(gateway, sammet)).manager_id == (await person(gateway, holberton)).id
