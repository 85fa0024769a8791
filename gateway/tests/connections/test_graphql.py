"""Calendar connections through the federated `/graphql` (the gateway's own subgraph, composed with the
others): a person connects, lists and disconnects their calendar with mutations; a program manager sees
only `Person.calendar` (connected, healthy); nobody else sees anything of it."""

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tandem_gateway.app import create_app
from tandem_gateway.testing import GATEWAY_DIR, gateway_settings
from tandem_kit.testing import Infra, TestKeys, asgi_client, eventually, running

from .conftest import Served, consent_at
from .test_endpoints import oauth_settings, person

CONNECT = "mutation($p: CalendarProvider!) { connectCalendar(provider: $p) { authorizeUrl expiresAt } }"
COMPLETE = """mutation($s: String!, $c: String!) {
  completeCalendarConnection(state: $s, code: $c) { id provider status scopes brokenReason }
}"""
LIST = "{ calendarConnections { id provider status } }"
# How the federated executor asks the gateway's subgraph for `Person.calendar` (called directly here).
HEALTH = """query($r: [_Any!]!) { _entities(representations: $r) { ... on Person { calendar { connected healthy } } } }"""


@pytest.fixture
async def gateway(infra: Infra, keys: TestKeys, fakes: Served) -> AsyncIterator[FastAPI]:
    settings = gateway_settings(
        infra,
        database_url=infra.fresh_database("gateway", GATEWAY_DIR),
        calendar_oauth=oauth_settings(fakes),
        graphql_subgraphs=("gateway",),
    )
    async with running(create_app(settings, token_verifier=keys.verifier("gateway"))) as app:

        async def composed() -> bool:
            return bool(app.state.graph.ready())

        assert await eventually(composed, timeout=15) is True
        yield app


async def gql(
    http: httpx.AsyncClient, query: str, headers: dict[str, str], **variables: Any
) -> dict[str, Any]:
    response = await http.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_person_connects_lists_and_disconnects_through_graphql(
    gateway: FastAPI, keys: TestKeys
) -> None:
    ana = uuid.uuid4()
    headers = person(keys, ana)
    async with asgi_client(gateway) as http:
        started = await gql(http, CONNECT, headers, p="GOOGLE")
        back = await consent_at(started["data"]["connectCalendar"]["authorizeUrl"], "ana@example.test")
        done = await gql(http, COMPLETE, headers, s=back["state"], c=back["code"])
        connection = done["data"]["completeCalendarConnection"]
        assert (connection["provider"], connection["status"], connection["brokenReason"]) == (
            "google",
            "active",
            None,
        )
        assert "https://www.googleapis.com/auth/calendar.freebusy" in connection["scopes"]

        listed = await gql(http, LIST, headers)
        assert listed == {
            "data": {
                "calendarConnections": [{"id": connection["id"], "provider": "google", "status": "active"}]
            }
        }
        # Someone else's token sees none of Ana's connections.
        assert await gql(http, LIST, person(keys, uuid.uuid4())) == {"data": {"calendarConnections": []}}

        gone = await gql(
            http,
            "mutation($id: ID!) { disconnectCalendar(id: $id) { connection { status brokenReason } revokedAtProvider } }",
            headers,
            id=connection["id"],
        )
        assert gone["data"]["disconnectCalendar"] == {
            "connection": {"status": "disconnected", "brokenReason": "disconnected"},
            "revokedAtProvider": True,
        }


async def test_refusals_carry_the_problem(gateway: FastAPI, keys: TestKeys) -> None:
    async with asgi_client(gateway) as http:
        # A state nobody issued: the same 4xx problem REST answers, in the error's extensions.
        body = await gql(http, COMPLETE, person(keys, uuid.uuid4()), s="forged", c="code")
        [error] = body["errors"]
        assert (error["extensions"]["status"], error["extensions"]["type"]) == (
            400,
            "https://tandem.dev/problems/authorization-not-found",
        )
        # Bad input names the field.
        body = await gql(http, COMPLETE, person(keys, uuid.uuid4()), s="", c="code")
        [error] = body["errors"]
        assert error["extensions"]["status"] == 422
        assert [e["pointer"] for e in error["extensions"]["errors"]] == ["#/input/state"]
        # A machine client has no calendar of its own.
        body = await gql(http, LIST, keys.headers("calendars:read"))
        assert body["errors"][0]["extensions"]["status"] == 403


async def test_a_program_manager_sees_only_connected_and_healthy(gateway: FastAPI, keys: TestKeys) -> None:
    ana, ben = uuid.uuid4(), uuid.uuid4()
    async with asgi_client(gateway) as http:
        started = await gql(http, CONNECT, person(keys, ana), p="MICROSOFT")
        back = await consent_at(started["data"]["connectCalendar"]["authorizeUrl"], "ana@contoso.test")
        await gql(http, COMPLETE, person(keys, ana), s=back["state"], c=back["code"])

        manager = person(keys, uuid.uuid4(), "calendars:read", roles=("program_manager",))

        async def health(of: uuid.UUID, headers: dict[str, str]) -> Any:
            representations = [{"__typename": "Person", "id": str(of)}]
            answer = await http.post(
                "/graphql/gateway",
                json={"query": HEALTH, "variables": {"r": representations}},
                headers=headers,
            )
            return answer.json()["data"]["_entities"][0]["calendar"]

        assert await health(ana, manager) == {"connected": True, "healthy": True}
        assert await health(ben, manager) == {"connected": False, "healthy": False}
        # Another participant learns nothing about Ana's calendar; Ana sees her own.
        assert await health(ana, person(keys, ben, "calendars:read")) is None
        assert await health(ana, person(keys, ana, "calendars:read")) == {"connected": True, "healthy": True}
