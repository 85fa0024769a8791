"""`openDataSubjectRequest`: the person-facing data-subject request through `/graphql`, with the same
service call, scope and object checks as `POST /data-subject-requests`."""

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from tandem_kit.testing import TestKeys

OPEN = """mutation ($p: UUID!, $k: RequestKind!) {
  openDataSubjectRequest(personId: $p, kind: $k, note: "asked in the app") {
    id personId kind status missingServices alreadyOpen
  }
}"""
OTHERS = ["matching", "scheduling", "analytics", "gateway"]
Outbox = Callable[..., Awaitable[list[dict[str, Any]]]]


async def _open(client: httpx.AsyncClient, headers: dict[str, str], person: uuid.UUID, kind: str) -> Any:
    resp = await client.post(
        "/graphql", json={"query": OPEN, "variables": {"p": str(person), "k": kind}}, headers=headers
    )
    assert resp.status_code == 200, resp.text
    return resp.json()


async def test_a_person_opens_their_own_request(
    client: httpx.AsyncClient, as_person: Callable[..., dict[str, str]], outbox: Outbox
) -> None:
    me = uuid.uuid4()

    body = await _open(client, as_person(me), me, "ERASURE")

    got = body["data"]["openDataSubjectRequest"]
    assert (got["personId"], got["kind"], got["status"], got["alreadyOpen"]) == (
        str(me),
        "erasure",
        "open",
        False,
    )
    assert got["missingServices"] == OTHERS
    events = await outbox("DataSubjectRequestOpened", request_id=got["id"])
    assert [e["kind"] for e in events] == ["erasure"]


async def test_asking_again_joins_the_open_request(
    client: httpx.AsyncClient, as_person: Callable[..., dict[str, str]]
) -> None:
    me = uuid.uuid4()
    first = await _open(client, as_person(me), me, "ACCESS")

    again = await _open(client, as_person(me), me, "ACCESS")

    assert again["data"]["openDataSubjectRequest"]["id"] == first["data"]["openDataSubjectRequest"]["id"]
    assert again["data"]["openDataSubjectRequest"]["alreadyOpen"] is True


async def test_a_person_cannot_open_one_for_someone_else(
    client: httpx.AsyncClient, as_person: Callable[..., dict[str, str]]
) -> None:
    body = await _open(client, as_person(uuid.uuid4()), uuid.uuid4(), "ACCESS")

    [error] = body["errors"]
    assert (error["extensions"]["status"], error["extensions"]["pointer"]) == (404, "#/person_id")


async def test_a_read_only_token_is_refused(client: httpx.AsyncClient, keys: TestKeys) -> None:
    body = await _open(client, keys.headers("consent:read"), uuid.uuid4(), "ACCESS")

    assert body["errors"][0]["extensions"]["missing_scopes"] == ["consent:write"]
