"""The HRIS connectors' admin API: input, conflicts, unknown ids, the authorization callback, one sync
at a time, and the scheduler."""

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import httpx
import pytest
from fastapi import FastAPI

from tandem_devstack.fakes.workday import FakeWorkday
from tandem_gateway.integrations.hris import repository
from tandem_gateway.integrations.hris.tasks import sync_due
from tandem_gateway.models import HrisSyncRun
from tandem_kit.testing import sessionmaker_of

from .conftest import Served, connect

CONNECTORS = "/api/v1/admin/hris/connectors"


def kind(response: httpx.Response) -> str:
    """The problem's code: the last segment of its `type`."""
    return str(response.json()["type"]).rsplit("/", 1)[-1]


def body(**overrides: object) -> dict[str, object]:
    return {
        "name": "workday-acme",
        "vendor": "workday",
        "tenant": "acme",
        "api_base_url": "https://wd2-impl-services1.workday.com",
        "auth_base_url": "https://wd2-impl.workday.com",
        "client_id": "tandem",
        "client_secret": "s3cret-value",
        **overrides,
    }


async def test_create_shows_no_secret_and_the_workday_urls(
    gateway: FastAPI, http: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    created = await http.post(CONNECTORS, json=body(), headers=admin)
    assert created.status_code == 201
    shown = created.json()
    assert "s3cret-value" not in created.text
    assert (shown["vendor"], shown["connection_id"], shown["connection_status"]) == ("workday", None, None)
    started = await http.post(f"{CONNECTORS}/{shown['id']}/authorize", headers=admin)
    url = httpx.URL(started.json()["authorize_url"])
    assert (url.host, url.path) == ("wd2-impl.workday.com", "/acme/authorize")
    assert (url.params["client_id"], url.params["code_challenge_method"], url.params["redirect_uri"]) == (
        "tandem",
        "S256",
        "https://gateway.tandem.test/admin/hris/callback",
    )


async def test_bamboohr_authorize_url(
    gateway: FastAPI, http: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    created = await http.post(
        CONNECTORS,
        json=body(
            name="bamboohr-acme",
            vendor="bamboohr",
            api_base_url="https://api.bamboohr.com",
            auth_base_url="https://acme.bamboohr.com",
            scopes=["employee", "employee:job"],
            level_field="customJobLevel",
        ),
        headers=admin,
    )
    started = await http.post(f"{CONNECTORS}/{created.json()['id']}/authorize", headers=admin)
    url = httpx.URL(started.json()["authorize_url"])
    assert (url.host, url.path, url.params["request"], url.params["scope"]) == (
        "acme.bamboohr.com",
        "/authorize.php",
        "authorize",
        "employee employee:job",
    )


@pytest.mark.parametrize(
    ("overrides", "pointer"),
    [
        ({"vendor": "successfactors"}, "#/vendor"),
        ({"level_field": "customLevel"}, "#/level_field"),
        ({"api_base_url": "ftp://example.test"}, "#/api_base_url"),
        ({"tenant": "acme/../x"}, "#/tenant"),
        ({"client_secret": ""}, "#/client_secret"),
    ],
    ids=["unknown-vendor", "level-field-on-workday", "not-http", "tenant-path", "empty-secret"],
)
async def test_bad_input_names_the_field(
    gateway: FastAPI,
    http: httpx.AsyncClient,
    admin: dict[str, str],
    overrides: dict[str, object],
    pointer: str,
) -> None:
    response = await http.post(CONNECTORS, json=body(**overrides), headers=admin)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [e["pointer"] for e in response.json()["errors"]] == [pointer]


async def test_duplicate_name_conflicts(
    gateway: FastAPI, http: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    assert (await http.post(CONNECTORS, json=body(), headers=admin)).status_code == 201
    again = await http.post(CONNECTORS, json=body(), headers=admin)
    assert (again.status_code, kind(again)) == (409, "hris-connector-exists")


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("GET", ""),
        ("PATCH", ""),
        ("POST", "/authorize"),
        ("POST", "/sync"),
        ("GET", "/runs"),
        ("GET", f"/runs/{uuid4()}"),
    ],
    ids=["get", "patch", "authorize", "sync", "runs", "run"],
)
async def test_unknown_connector_is_404(
    gateway: FastAPI, http: httpx.AsyncClient, admin: dict[str, str], method: str, suffix: str
) -> None:
    json = {"enabled": False} if method == "PATCH" else None
    response = await http.request(method, f"{CONNECTORS}/{uuid4()}{suffix}", json=json, headers=admin)
    assert response.status_code == 404
    assert kind(response) == ("hris-sync-run-not-found" if "/runs/" in suffix else "hris-connector-not-found")


async def test_callback_with_an_unknown_state_is_refused(
    gateway: FastAPI, http: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    connector_id = (await http.post(CONNECTORS, json=body(), headers=admin)).json()["id"]
    await http.post(f"{CONNECTORS}/{connector_id}/authorize", headers=admin)
    response = await http.post(
        f"{CONNECTORS}/{connector_id}/callback", json={"state": "forged", "code": "abc"}, headers=admin
    )
    assert (response.status_code, kind(response)) == (400, "authorization-not-found")


async def test_sync_before_authorization_fails_the_run(
    gateway: FastAPI, http: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    connector_id = (await http.post(CONNECTORS, json=body(), headers=admin)).json()["id"]
    run = (await http.post(f"{CONNECTORS}/{connector_id}/sync", headers=admin)).json()
    assert (run["status"], run["error"]) == ("failed", "not_connected")


async def test_one_sync_per_connector_at_a_time(
    gateway: FastAPI, http: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    connector_id = (await http.post(CONNECTORS, json=body(), headers=admin)).json()["id"]
    async with sessionmaker_of(gateway)() as holder:  # another replica's run holds the lock
        assert await repository.try_lock(holder, UUID(connector_id))
        response = await http.post(f"{CONNECTORS}/{connector_id}/sync", headers=admin)
        await repository.unlock(holder, UUID(connector_id))
    assert (response.status_code, kind(response)) == (409, "sync-in-progress")


@pytest.fixture
async def connected(
    gateway: FastAPI, http: httpx.AsyncClient, admin: dict[str, str], workday: Served[FakeWorkday]
) -> UUID:
    return UUID(await connect(http, admin, workday, "workday"))


async def test_scheduler_syncs_what_is_due_only(gateway: FastAPI, connected: UUID) -> None:
    maker, settings = sessionmaker_of(gateway), gateway.state.settings

    assert await sync_due(maker, settings) == 1  # never synced: due
    assert await sync_due(maker, settings) == 0  # just synced: not due for an hour

    async with maker() as session, session.begin():
        run = await session.get(HrisSyncRun, await _last_run_id(maker, connected))
        assert run is not None
        run.started_at = datetime.now(UTC) - timedelta(seconds=settings.hris.sync_interval_seconds)
    assert await sync_due(maker, settings) == 1
    async with maker() as session:
        runs = (await session.scalars(repository.runs_statement(connected))).all()
    assert [(r.trigger, r.status) for r in runs] == [("schedule", "succeeded")] * 2


async def test_a_disabled_connector_is_not_scheduled(
    gateway: FastAPI, http: httpx.AsyncClient, admin: dict[str, str], connected: UUID
) -> None:
    response = await http.patch(f"{CONNECTORS}/{connected}", json={"enabled": False}, headers=admin)
    assert (response.status_code, response.json()["enabled"]) == (200, False)
    assert await sync_due(sessionmaker_of(gateway), gateway.state.settings) == 0
    manual = await http.post(f"{CONNECTORS}/{connected}/sync", headers=admin)
    assert (manual.json()["status"], manual.json()["records_changed"]) == ("succeeded", 6)


async def _last_run_id(maker: object, connector_id: UUID) -> UUID:
    async with maker() as session:  # type: ignore[operator]
        run = (await session.scalars(repository.runs_statement(connector_id))).first()
    assert run is not None
    return UUID(str(run.id))


async def test_list_shows_each_connection_status(
    gateway: FastAPI, http: httpx.AsyncClient, admin: dict[str, str], connected: UUID
) -> None:
    await http.post(CONNECTORS, json=body(name="not-yet-authorized"), headers=admin)
    listed = await http.get(CONNECTORS, headers=admin)
    assert [(c["name"], c["connection_status"]) for c in listed.json()["items"]] == [
        ("workday-acme", "active"),
        ("not-yet-authorized", None),
    ]
    assert listed.json()["total"] == 2
