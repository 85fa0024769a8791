"""Every route of every service, walked from its OpenAPI document: 401 without a token and 403 with a
token lacking the scope, both through the gateway and on the service itself (the gateway is not the
only lock)."""

import re
import uuid
from typing import Any

import httpx
import pytest

from tandem_devstack.route_scopes import current_table
from tandem_devstack.stack import Stack
from tandem_gateway.oauth.domain import parse_scopes

SERVICES = ["matching", "scheduling", "consent", "analytics"]
# A token whose only scope belongs to another service lacks every scope the service's routes need.
FOREIGN_SCOPE = {
    "matching": "consent:read",
    "scheduling": "consent:read",
    "consent": "analytics:read",
    "analytics": "consent:read",
}
METHODS = {"get", "post", "put", "patch", "delete"}


def operations(document: dict[str, Any]) -> list[tuple[str, str]]:
    found = []
    for path, item in document["paths"].items():
        if not path.startswith("/api/v1/"):
            continue  # health, readiness and metrics are open by design; /graphql is covered by test_graphql_needs_a_token
        for method in item:
            if method in METHODS:
                concrete = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)
                found.append((method.upper(), concrete))
    return found


async def token_for(http: httpx.AsyncClient, gateway: str, admin_token: str, scope: str) -> str:
    created = await http.post(
        f"{gateway}/api/v1/admin/clients",
        json={"name": f"matrix-{uuid.uuid4().hex[:8]}", "scopes": [scope]},
        headers={"Authorization": f"Bearer {admin_token}"},
    )
    assert created.status_code == 201, created.text
    client = created.json()
    issued = await http.post(
        f"{gateway}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(client["client_id"], client["client_secret"]),
    )
    assert issued.status_code == 200, issued.text
    token: str = issued.json()["access_token"]
    return token


@pytest.mark.parametrize("service", SERVICES)
async def test_every_route_refuses_anonymous_and_wrong_scope(
    stack: Stack, dev_token: str, service: str
) -> None:
    gateway = stack.config.url("gateway")
    async with httpx.AsyncClient(timeout=10) as http:
        document = (await http.get(f"{gateway}/api/v1/{service}/openapi.json")).json()
        routes = operations(document)
        foreign = await token_for(http, gateway, dev_token, FOREIGN_SCOPE[service])
        wrong: list[str] = []
        for base in (gateway, stack.config.url(service)):
            for method, path in routes:
                anonymous = await http.request(method, f"{base}{path}")
                scoped = await http.request(
                    method, f"{base}{path}", headers={"Authorization": f"Bearer {foreign}"}
                )
                if anonymous.status_code != 401 or "Bearer" not in anonymous.headers.get(
                    "www-authenticate", ""
                ):
                    wrong.append(f"{base} {method} {path}: anonymous -> {anonymous.status_code}")
                if scoped.status_code != 403 or scoped.headers["content-type"] != "application/problem+json":
                    wrong.append(f"{base} {method} {path}: wrong scope -> {scoped.status_code}")
    assert len(routes) >= 5
    assert wrong == []


@pytest.mark.parametrize("part", ["gateway", *SERVICES])
async def test_graphql_needs_a_token(stack: Stack, dev_token: str, part: str) -> None:
    query = {"query": "{ __typename }"}
    async with httpx.AsyncClient(timeout=10) as http:
        anonymous = await http.post(f"{stack.config.url(part)}/graphql", json=query)
        foreign = await token_for(http, stack.config.url("gateway"), dev_token, "analytics:ingest")
        scoped = await http.post(
            f"{stack.config.url(part)}/graphql", json=query, headers={"Authorization": f"Bearer {foreign}"}
        )
    assert anonymous.status_code == 401
    assert scoped.status_code == 403


def scope_refused(response: httpx.Response) -> bool:
    """A 403 for a missing scope (it names them), as opposed to a domain refusal or any other answer."""
    return response.status_code == 403 and "missing_scopes" in response.json()


async def test_single_scope_clients_against_every_route(stack: Stack, dev_token: str) -> None:
    """Issue 9, items 2, 3 and 8: a client holding one scope gets past the scope check of exactly the
    routes whose declared scopes that one covers, at the gateway and on the service alike."""
    gateway = stack.config.url("gateway")
    table = current_table()
    wrong: list[str] = []
    async with httpx.AsyncClient(timeout=10) as http:
        for scope in parse_scopes("all"):
            token = await token_for(http, gateway, dev_token, scope)
            headers = {"Authorization": f"Bearer {token}"}
            for service, routes in table.items():
                for template, methods in routes.items():
                    path = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), template)
                    for method, needed in methods.items():
                        refused = not set(needed) <= {scope}
                        answers = [
                            await http.request(method, f"{base}{path}", headers=headers)
                            for base in (gateway, stack.config.url(service))
                        ]
                        if [scope_refused(a) for a in answers] != [refused, refused]:
                            statuses = [a.status_code for a in answers]
                            wrong.append(f"{scope}: {method} {template} needs {needed}: {statuses}")
    assert wrong == []


async def test_integration_scope_takes_no_program_decision(stack: Stack, dev_token: str) -> None:
    """Issue 9, item 2: what an HRIS/LMS integration holds (`matching:write`) opens no decision route."""
    decisions = {
        (method, template)
        for template, methods in current_table()["matching"].items()
        for method, needed in methods.items()
        if "matching:write" not in needed and method != "GET" and "admin" not in needed
    }
    assert ("POST", "/api/v1/matching/proposals/{proposal_id}/approve") in decisions
    assert ("PUT", "/api/v1/matching/programs/{program_id}/weights") in decisions
    assert ("POST", "/api/v1/matching/matches/{match_id}/reassign") in decisions
    gateway = stack.config.url("gateway")
    async with httpx.AsyncClient(timeout=10) as http:
        token = await token_for(http, gateway, dev_token, "matching:write")
        answers = {
            key: await http.request(
                key[0],
                gateway + re.sub(r"\{[^}]+\}", str(uuid.uuid4()), key[1]),
                headers={"Authorization": f"Bearer {token}"},
            )
            for key in sorted(decisions)
        }
    missing = {key: a.json().get("missing_scopes") for key, a in answers.items()}
    assert missing == {key: ["matching:decide"] for key in answers}
