"""Subgraphs served over HTTP (strawberry's ASGI app through httpx), in the ownership layout of
docs/contracts.md: scheduling contributes `Match.engagement`, `Person` is a non-resolvable stub in matching.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import strawberry
from strawberry.asgi import GraphQL
from strawberry.federation.schema_directives import Key

from tandem_gateway.federation import FederatedExecutor, Fetch, compose

SESSIONS = {"m1": [("s1", "2025-03-03T09:00:00Z"), ("s2", "2025-03-10T09:00:00Z")], "m2": []}


@strawberry.federation.type(keys=[Key(fields="id", resolvable=False)], name="Person")
class StubPerson:
    id: strawberry.ID


@strawberry.federation.type(keys=["id"], name="Match")
class Match:
    id: strawberry.ID
    score: float

    @strawberry.field
    def participant(self) -> StubPerson:
        return StubPerson(id=strawberry.ID(f"p-{self.id}"))


@strawberry.type(name="Query")
class MatchingQuery:
    @strawberry.field
    def match(self, id: strawberry.ID) -> Match | None:
        return Match(id=id, score=81.5) if id in SESSIONS else None


@strawberry.type(name="Session")
class Session:
    id: strawberry.ID
    starts_at: str


@strawberry.federation.type(keys=["id"], name="Engagement")
class Engagement:
    id: strawberry.ID

    @strawberry.field
    def sessions(self) -> list[Session]:
        return [Session(id=strawberry.ID(i), starts_at=s) for i, s in SESSIONS[self.id.removeprefix("eng-")]]


@strawberry.federation.type(keys=["id"], name="Match")
class MatchEngagement:
    id: strawberry.ID

    @strawberry.field
    def engagement(self) -> Engagement | None:
        return Engagement(id=strawberry.ID(f"eng-{self.id}"))

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> MatchEngagement:
        return MatchEngagement(id=id)


@strawberry.type(name="Query")
class SchedulingQuery:
    @strawberry.field
    def engagement(self, id: strawberry.ID) -> Engagement:
        return Engagement(id=id)


@strawberry.type(name="ConsentState")
class ConsentState:
    purpose: str
    granted: bool


@strawberry.federation.type(keys=["id"], name="Person")
class Person:
    id: strawberry.ID

    @strawberry.field
    def consents(self) -> list[ConsentState]:
        return [ConsentState(purpose="matching", granted=self.id == "p-m1")]

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Person:
        return Person(id=id)


@strawberry.type(name="Query")
class ConsentQuery:
    @strawberry.field
    def purposes(self) -> list[str]:
        return ["matching"]


APPS = {
    "matching": GraphQL(strawberry.federation.Schema(query=MatchingQuery, types=[Match])),
    "scheduling": GraphQL(
        strawberry.federation.Schema(query=SchedulingQuery, types=[MatchEngagement, Engagement])
    ),
    "consent": GraphQL(strawberry.federation.Schema(query=ConsentQuery, types=[Person])),
}


def http_fetch(token: str, seen: list[tuple[str, str | None]]) -> Fetch:
    """What the gateway builds per request: the caller's bearer token on every subgraph call."""

    async def fetch(subgraph: str, query: str, variables: dict[str, Any] | None) -> dict[str, Any]:
        transport = httpx.ASGITransport(app=APPS[subgraph])
        async with httpx.AsyncClient(transport=transport, base_url=f"http://{subgraph}") as client:
            response = await client.post(
                "/graphql",
                json={"query": query, "variables": variables},
                headers={"Authorization": f"Bearer {token}"},
            )
        seen.append((subgraph, response.request.headers.get("authorization")))
        body: dict[str, Any] = response.json()
        return body

    return fetch


@pytest.fixture
async def executor_and_calls() -> tuple[FederatedExecutor, list[tuple[str, str | None]]]:
    sdls = {}
    seen: list[tuple[str, str | None]] = []
    fetch = http_fetch("setup", seen)
    for name in APPS:
        response = await fetch(name, "{ _service { sdl } }", None)
        sdls[name] = response["data"]["_service"]["sdl"]
    seen.clear()
    return FederatedExecutor(compose(sdls), http_fetch("caller-token", seen)), seen


async def test_contract_query_over_http(
    executor_and_calls: tuple[FederatedExecutor, list[tuple[str, str | None]]],
) -> None:
    executor, seen = executor_and_calls

    result = await executor.execute(
        "query($id: ID!) { match(id: $id) { id score participant { id consents { purpose granted } }"
        " engagement { id sessions { id startsAt } } } }",
        {"id": "m1"},
    )

    assert result == {
        "data": {
            "match": {
                "id": "m1",
                "score": 81.5,
                "participant": {"id": "p-m1", "consents": [{"purpose": "matching", "granted": True}]},
                "engagement": {
                    "id": "eng-m1",
                    "sessions": [
                        {"id": "s1", "startsAt": "2025-03-03T09:00:00Z"},
                        {"id": "s2", "startsAt": "2025-03-10T09:00:00Z"},
                    ],
                },
            }
        }
    }
    assert seen[0] == ("matching", "Bearer caller-token")
    assert sorted(seen[1:]) == [("consent", "Bearer caller-token"), ("scheduling", "Bearer caller-token")]


async def test_missing_match_over_http(
    executor_and_calls: tuple[FederatedExecutor, list[tuple[str, str | None]]],
) -> None:
    executor, seen = executor_and_calls

    result = await executor.execute('{ match(id: "nope") { id engagement { id } } }')

    assert result == {"data": {"match": None}}
    assert [s for s, _ in seen] == ["matching"]
