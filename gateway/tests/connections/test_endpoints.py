"""`/api/v1/calendars/connections`: a person connects Google and Microsoft end to end, reconnects and
disconnects; nobody else sees their connections; a program manager sees only connected/healthy."""

import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import structlog
from fastapi import FastAPI
from sqlalchemy import select

from tandem_gateway.app import create_app
from tandem_gateway.connections import service
from tandem_gateway.connections.service import NeedsReauth
from tandem_gateway.testing import GATEWAY_DIR, gateway_settings
from tandem_kit.events import outbox_messages
from tandem_kit.testing import Infra, TestKeys, asgi_client, eventually, running, sessionmaker_of

from .conftest import REDIRECT_URI, Served, consent_at, expire_locally, reload

BASE = "/api/v1/calendars/connections"


def oauth_settings(fakes: Served, *, microsoft: bool = True) -> dict[str, Any]:
    g, m = fakes.configs["google"], fakes.configs["microsoft"]

    def app(config: Any) -> dict[str, Any]:
        return {
            "client_id": config.client_id,
            "client_secret": config.client_secret.get_secret_value(),
            "redirect_uri": REDIRECT_URI,
            "authorize_url": config.authorize_url,
            "token_url": config.token_url,
            "revoke_url": config.revoke_url,
        }

    return {"google": app(g), **({"microsoft": app(m)} if microsoft else {})}


@pytest.fixture
async def gateway(infra: Infra, keys: TestKeys, fakes: Served) -> AsyncIterator[FastAPI]:
    settings = gateway_settings(
        infra,
        database_url=infra.fresh_database("gateway", GATEWAY_DIR),
        calendar_oauth=oauth_settings(fakes),
    )
    async with running(create_app(settings, token_verifier=keys.verifier("gateway"))) as app:
        yield app


def person(
    keys: TestKeys, person_id: uuid.UUID, *scopes: str, roles: tuple[str, ...] = ("participant",)
) -> dict[str, str]:
    return keys.headers(
        *(scopes or ("calendars:read", "calendars:write")), person_id=str(person_id), roles=list(roles)
    )


async def connect_via_api(
    http: httpx.AsyncClient, headers: dict[str, str], provider: str, login_hint: str
) -> dict[str, Any]:
    started = await http.post(BASE, json={"provider": provider}, headers=headers)
    assert started.status_code == 201, started.text
    back = await consent_at(started.json()["authorize_url"], login_hint)
    done = await http.post(
        f"{BASE}/callback", json={"state": back["state"], "code": back["code"]}, headers=headers
    )
    assert done.status_code == 200, done.text
    answer: dict[str, Any] = done.json()
    return answer


def fake_tokens(fakes: Served) -> list[str]:
    return [
        *fakes.google.oauth.access_tokens,
        *fakes.google.oauth.refresh_tokens,
        *fakes.microsoft.oauth.access_tokens,
        *fakes.microsoft.oauth.refresh_tokens,
    ]


async def test_anonymous(gateway: FastAPI) -> None:
    async with asgi_client(gateway) as http:
        answer = await http.get(BASE)
    assert answer.status_code == 401


async def test_missing_scope(gateway: FastAPI, keys: TestKeys) -> None:
    async with asgi_client(gateway) as http:
        answer = await http.post(
            BASE, json={"provider": "google"}, headers=person(keys, uuid.uuid4(), "calendars:read")
        )
    assert answer.status_code == 403


async def test_machine_client_has_no_calendar_of_its_own(gateway: FastAPI, keys: TestKeys) -> None:
    async with asgi_client(gateway) as http:
        answer = await http.get(BASE, headers=keys.headers("calendars:read"))
    assert answer.status_code == 403
    assert answer.json()["type"].endswith("person-required")


async def test_connect_both_providers_end_to_end_never_showing_tokens(
    gateway: FastAPI,
    keys: TestKeys,
    fakes: Served,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    me = uuid.uuid4()
    headers = person(keys, me)
    caplog.set_level(logging.DEBUG)  # httpx, httpcore and authlib too
    # A logger another test used first is cached with the processors of that time, out of reach of
    # capture_logs: the service logs through a fresh one here.
    monkeypatch.setattr(service, "log", structlog.get_logger("tandem.gateway.connections"))
    with structlog.testing.capture_logs() as logs:
        async with asgi_client(gateway) as http:
            google = await connect_via_api(http, headers, "google", "ana@acme.test")
            microsoft = await connect_via_api(http, headers, "microsoft", "ana@acme.test")
            listed = await http.get(BASE, headers=headers)

    assert (google["provider"], google["status"]) == ("google", "active")
    assert (microsoft["provider"], microsoft["status"]) == ("microsoft", "active")
    assert [(c["provider"], c["status"]) for c in listed.json()] == [
        ("google", "active"),
        ("microsoft", "active"),
    ]
    assert set(listed.json()[0]) == {
        "id",
        "provider",
        "status",
        "scopes",
        "connected_at",
        "refreshed_at",
        "broken_at",
        "broken_reason",
    }
    tokens = fake_tokens(fakes)
    assert len(tokens) == 4
    assert any(e["event"] == "gateway.connection.connected" for e in logs)
    assert "HTTP Request: POST" in caplog.text
    everything = listed.text + repr(google) + repr(microsoft) + repr(logs) + caplog.text
    assert [t for t in tokens if t in everything] == []
    token = await service.access_token(
        sessionmaker_of(gateway), uuid.UUID(google["id"]), oauth=gateway.state.calendar_providers["google"]
    )
    assert fakes.google.oauth.user_of_token(token) == "ana@acme.test"


async def test_someone_elses_connection_is_not_found(gateway: FastAPI, keys: TestKeys) -> None:
    owner, other = person(keys, uuid.uuid4()), person(keys, uuid.uuid4())
    async with asgi_client(gateway) as http:
        mine = await connect_via_api(http, owner, "google", "bo@acme.test")
        seen = await http.get(f"{BASE}/{mine['id']}", headers=other)
        removed = await http.delete(f"{BASE}/{mine['id']}", headers=other)
        again = await http.post(f"{BASE}/{mine['id']}/reconnect", headers=other)
        theirs = await http.get(BASE, headers=other)
        still = await http.get(f"{BASE}/{mine['id']}", headers=owner)
    assert (seen.status_code, removed.status_code, again.status_code) == (404, 404, 404)
    assert theirs.json() == []
    assert still.json()["status"] == "active"


async def test_callback_of_someone_elses_authorization_is_refused(gateway: FastAPI, keys: TestKeys) -> None:
    owner, other = person(keys, uuid.uuid4()), person(keys, uuid.uuid4())
    async with asgi_client(gateway) as http:
        started = await http.post(BASE, json={"provider": "google"}, headers=owner)
        back = await consent_at(started.json()["authorize_url"], "cy@acme.test")
        stolen = await http.post(f"{BASE}/callback", json=back, headers=other)
    assert stolen.status_code == 400
    assert stolen.json()["type"].endswith("authorization-not-found")


async def test_disconnect_revokes_at_google(gateway: FastAPI, keys: TestKeys, fakes: Served) -> None:
    headers = person(keys, uuid.uuid4())
    async with asgi_client(gateway) as http:
        connection = await connect_via_api(http, headers, "google", "di@acme.test")
        removed = await http.delete(f"{BASE}/{connection['id']}", headers=headers)
        listed = await http.get(BASE, headers=headers)
    assert removed.status_code == 200
    assert removed.json()["revoked_at_provider"] is True
    assert removed.json()["connection"]["status"] == "disconnected"
    assert fakes.google.oauth.live_grants("di@acme.test") == []
    assert [c["status"] for c in listed.json()] == ["disconnected"]


async def test_reconnect_after_invalid_grant(gateway: FastAPI, keys: TestKeys, fakes: Served) -> None:
    headers = person(keys, uuid.uuid4())
    sessionmaker = sessionmaker_of(gateway)
    config = gateway.state.calendar_providers["microsoft"]
    async with asgi_client(gateway) as http:
        connection = await connect_via_api(http, headers, "microsoft", "ed@acme.test")
        connection_id = uuid.UUID(connection["id"])
        fakes.microsoft.oauth.revoke_grants("ed@acme.test")
        await expire_locally(sessionmaker, connection_id)
        with pytest.raises(NeedsReauth):
            await service.access_token(sessionmaker, connection_id, oauth=config)
        broken = await http.get(f"{BASE}/{connection_id}", headers=headers)
        started = await http.post(f"{BASE}/{connection_id}/reconnect", headers=headers)
        back = await consent_at(started.json()["authorize_url"], "ed@acme.test")
        done = await http.post(f"{BASE}/callback", json=back, headers=headers)
    assert (broken.json()["status"], broken.json()["broken_reason"]) == ("needs_reauth", "invalid_grant")
    assert started.status_code == 201
    assert (done.json()["id"], done.json()["status"]) == (str(connection_id), "active")
    assert (await reload(sessionmaker, connection_id)).broken_at is None


async def test_program_manager_sees_only_connected_and_healthy(
    gateway: FastAPI, keys: TestKeys, fakes: Served
) -> None:
    someone = uuid.uuid4()
    manager = person(keys, uuid.uuid4(), "calendars:read", roles=("program_manager",))
    participant = person(keys, uuid.uuid4(), "calendars:read")
    async with asgi_client(gateway) as http:
        before = await http.get(f"/api/v1/calendars/people/{someone}/connection", headers=manager)
        connection = await connect_via_api(http, person(keys, someone), "google", "fa@acme.test")
        healthy = await http.get(f"/api/v1/calendars/people/{someone}/connection", headers=manager)
        fakes.google.oauth.revoke_grants("fa@acme.test")
        await expire_locally(sessionmaker_of(gateway), uuid.UUID(connection["id"]))
        with pytest.raises(NeedsReauth):
            await service.access_token(
                sessionmaker_of(gateway),
                uuid.UUID(connection["id"]),
                oauth=gateway.state.calendar_providers["google"],
            )
        broken = await http.get(f"/api/v1/calendars/people/{someone}/connection", headers=manager)
        nosy = await http.get(f"/api/v1/calendars/people/{someone}/connection", headers=participant)
    assert before.json() == {"person_id": str(someone), "connected": False, "healthy": False}
    assert healthy.json() == {"person_id": str(someone), "connected": True, "healthy": True}
    assert broken.json() == {"person_id": str(someone), "connected": True, "healthy": False}
    assert nosy.status_code == 403


async def test_provider_not_offered(infra: Infra, keys: TestKeys, fakes: Served) -> None:
    settings = gateway_settings(
        infra,
        database_url=infra.fresh_database("gateway", GATEWAY_DIR),
        calendar_oauth=oauth_settings(fakes, microsoft=False),
    )
    async with (
        running(create_app(settings, token_verifier=keys.verifier("gateway"))) as app,
        asgi_client(app) as http,
    ):
        answer = await http.post(BASE, json={"provider": "microsoft"}, headers=person(keys, uuid.uuid4()))
        unknown = await http.post(BASE, json={"provider": "yahoo"}, headers=person(keys, uuid.uuid4()))
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["pointer"] == "#/provider"
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["pointer"] == "#/provider"


async def test_connection_events_leave_through_the_outbox(gateway: FastAPI, keys: TestKeys) -> None:
    headers = person(keys, uuid.uuid4())
    async with asgi_client(gateway) as http:
        connection = await connect_via_api(http, headers, "microsoft", "ga@acme.test")
        await http.delete(f"{BASE}/{connection['id']}", headers=headers)

    async def published() -> list[str] | None:
        async with sessionmaker_of(gateway)() as session:
            rows = (
                (
                    await session.execute(
                        select(outbox_messages.c.subject).where(outbox_messages.c.published_at.is_not(None))
                    )
                )
                .scalars()
                .all()
            )
        subjects = sorted(s for s in rows if "Calendar" in s)
        return subjects if len(subjects) == 2 else None

    assert await eventually(published) == [
        "tandem.gateway.CalendarConnected",
        "tandem.gateway.CalendarConnectionBroken",
    ]


async def test_consents_requests_reach_calendar_connections(
    gateway: FastAPI, keys: TestKeys, fakes: Served
) -> None:
    me = uuid.uuid4()
    personal_data = gateway.state.personal_data
    async with asgi_client(gateway) as http:
        connection = await connect_via_api(http, person(keys, me), "google", "ha@acme.test")

    async with sessionmaker_of(gateway)() as session, session.begin():
        exported = await personal_data.export_person(session, me)
        erased = await personal_data.erase_person(session, me)

    assert "calendar_connections" in personal_data.parts
    assert [c["id"] for c in exported.export["calendar_connections"]] == [connection["id"]]
    assert "calendar_connections 1" in erased.detail
    assert fakes.google.oauth.live_grants("ha@acme.test") == []
    async with asgi_client(gateway) as http:
        assert (await http.get(BASE, headers=person(keys, me))).json() == []
