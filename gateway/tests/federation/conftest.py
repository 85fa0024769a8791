"""Three small strawberry federation subgraphs (matching, scheduling, consent) and a counting fetch.

The data is fixed module state, read-only except for the mutation tests, which get fresh copies through
the `subgraphs` fixture.
"""

from __future__ import annotations

import asyncio
import enum
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import strawberry
from strawberry.types import Info

from tandem_gateway.federation import FederatedExecutor, Supergraph, compose


@dataclass
class Store:
    matches: list[dict[str, Any]]
    programs: list[dict[str, Any]]
    engagements: dict[str, dict[str, Any]]
    consents: dict[str, list[dict[str, Any]]]
    reference_calls: list[list[str]] = field(default_factory=list)


def make_store() -> Store:
    engagements = {
        f"e{i}": {
            "id": f"e{i}",
            "status": ["ACTIVE", "PAUSED", "CLOSED"][i % 3],
            "match_id": f"m{i}",
            "sessions": [
                {
                    "id": f"s{i}-{j}",
                    "starts_at": f"2025-0{1 + j}-0{1 + i % 9}T10:00:00Z",
                    "minutes": 45 + j * 15,
                }
                for j in range(i % 3 + 1)
            ],
        }
        for i in range(10)
    }
    matches = [
        {
            "id": f"m{i}",
            "score": round(50 + i * 0.9, 2),
            "participant_id": f"p{i % 7}",
            "engagement_id": f"e{i % 10}" if i % 11 != 10 else None,
            "program_id": f"pr{i % 2}",
        }
        for i in range(50)
    ]
    programs = [{"id": "pr0", "name": "Leaders 2025"}, {"id": "pr1", "name": "Mentoring Circle"}]
    consents = {
        f"p{i}": [
            {"purpose": "matching", "granted": True},
            {"purpose": "analytics", "granted": i % 2 == 0},
        ]
        for i in range(7)
    }
    return Store(matches=matches, programs=programs, engagements=engagements, consents=consents)


def store_of(info: Info[Any, Any]) -> Store:
    store: Store = info.context["store"]
    return store


# --- matching -----------------------------------------------------------------------------------


@strawberry.interface(name="Node")
class MNode:
    id: strawberry.ID


@strawberry.federation.type(keys=["id"], name="Engagement")
class MEngagement:
    id: strawberry.ID


@strawberry.federation.type(keys=["id"], name="Person")
class MPerson:
    id: strawberry.ID


@strawberry.federation.type(keys=["id"], name="Match")
class MMatch(MNode):
    id: strawberry.ID
    score: float
    participant_id: strawberry.ID
    engagement_id: strawberry.Private[str | None]
    program_id: strawberry.Private[str]

    @strawberry.field
    def engagement(self) -> MEngagement | None:
        return MEngagement(id=strawberry.ID(self.engagement_id)) if self.engagement_id else None

    @strawberry.field
    def participant(self) -> MPerson:
        return MPerson(id=self.participant_id)

    @classmethod
    def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> MMatch | None:
        store_of(info).reference_calls.append(["Match", id])
        return next((to_match(m) for m in store_of(info).matches if m["id"] == id), None)


@strawberry.type(name="Program")
class MProgram(MNode):
    id: strawberry.ID
    name: str

    @strawberry.field
    def matches(self, info: Info[Any, Any]) -> list[MMatch]:
        return [to_match(m) for m in store_of(info).matches if m["program_id"] == self.id][:5]


MatchingItem = strawberry.union("MatchingItem", (MMatch, MProgram))


def to_match(row: dict[str, Any]) -> MMatch:
    return MMatch(
        id=row["id"],
        score=row["score"],
        participant_id=row["participant_id"],
        engagement_id=row["engagement_id"],
        program_id=row["program_id"],
    )


@strawberry.type(name="Query")
class MQuery:
    @strawberry.field
    def matches(self, info: Info[Any, Any], first: int = 100, min_score: float | None = None) -> list[MMatch]:
        rows = [m for m in store_of(info).matches if min_score is None or m["score"] >= min_score]
        return [to_match(m) for m in rows[:first]]

    @strawberry.field
    def match(self, info: Info[Any, Any], id: strawberry.ID) -> MMatch | None:
        return next((to_match(m) for m in store_of(info).matches if m["id"] == id), None)

    @strawberry.field
    def programs(self, info: Info[Any, Any]) -> list[MProgram]:
        return [MProgram(id=p["id"], name=p["name"]) for p in store_of(info).programs]

    @strawberry.field
    def search(self, info: Info[Any, Any], term: str) -> list[MatchingItem]:  # type: ignore[valid-type]
        items: list[Any] = [MProgram(id=p["id"], name=p["name"]) for p in store_of(info).programs]
        items += [to_match(m) for m in store_of(info).matches[:3]]
        return [i for i in items if term in i.id]

    @strawberry.field
    def node(self, info: Info[Any, Any], id: strawberry.ID) -> MNode | None:
        for p in store_of(info).programs:
            if p["id"] == id:
                return MProgram(id=p["id"], name=p["name"])
        return next((to_match(m) for m in store_of(info).matches if m["id"] == id), None)


@strawberry.type(name="Mutation")
class MMutation:
    @strawberry.mutation
    def rescore(self, info: Info[Any, Any], id: strawberry.ID, score: float) -> MMatch:
        info.context["log"].append(f"rescore {id}")
        row = next(m for m in store_of(info).matches if m["id"] == id)
        row["score"] = score
        return to_match(row)


matching_schema = strawberry.federation.Schema(query=MQuery, mutation=MMutation, types=[MMatch, MProgram])


# --- scheduling ---------------------------------------------------------------------------------


@strawberry.enum(name="EngagementStatus")
class EngagementStatus(enum.Enum):
    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"
    CLOSED = "CLOSED"


@strawberry.type(name="Session")
class SSession:
    id: strawberry.ID
    starts_at: str
    duration_minutes: int


@strawberry.federation.type(keys=["id"], name="Match")
class SMatch:
    id: strawberry.ID


@strawberry.federation.type(keys=["id"], name="Engagement")
class SEngagement:
    id: strawberry.ID
    status: EngagementStatus
    match_id: strawberry.Private[str]
    session_rows: strawberry.Private[list[dict[str, Any]]]

    @strawberry.field
    def sessions(self, limit: int = 10) -> list[SSession]:
        return [
            SSession(id=s["id"], starts_at=s["starts_at"], duration_minutes=s["minutes"])
            for s in self.session_rows[:limit]
        ]

    @strawberry.field
    def match(self) -> SMatch:
        return SMatch(id=strawberry.ID(self.match_id))

    @strawberry.field
    def risk_note(self) -> str | None:
        if self.id == "e3":
            raise ValueError("risk note unavailable for e3")
        return f"note {self.id}"

    @strawberry.field
    def checked_status(self) -> EngagementStatus:
        if self.id == "e4":
            raise ValueError("status check failed for e4")
        return self.status

    @classmethod
    def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> SEngagement | None:
        store_of(info).reference_calls.append(["Engagement", id])
        row = store_of(info).engagements.get(id)
        return to_engagement(row) if row else None


def to_engagement(row: dict[str, Any]) -> SEngagement:
    return SEngagement(
        id=row["id"],
        status=EngagementStatus(row["status"]),
        match_id=row["match_id"],
        session_rows=row["sessions"],
    )


@strawberry.type(name="Query")
class SQuery:
    @strawberry.field
    def engagements(self, info: Info[Any, Any], status: EngagementStatus | None = None) -> list[SEngagement]:
        rows = store_of(info).engagements.values()
        return [to_engagement(r) for r in rows if status is None or r["status"] == status.value]


@strawberry.type(name="Mutation")
class SMutation:
    @strawberry.mutation
    def pause_engagement(self, info: Info[Any, Any], id: strawberry.ID) -> SEngagement:
        info.context["log"].append(f"pause {id}")
        row = store_of(info).engagements[id]
        row["status"] = "PAUSED"
        return to_engagement(row)


scheduling_schema = strawberry.federation.Schema(
    query=SQuery, mutation=SMutation, types=[SEngagement, SMatch]
)


# --- consent ------------------------------------------------------------------------------------


@strawberry.type(name="Consent")
class CConsent:
    purpose: str
    granted: bool


@strawberry.federation.type(keys=["id"], name="Person")
class CPerson:
    id: strawberry.ID

    @strawberry.field
    def consents(self, info: Info[Any, Any]) -> list[CConsent]:
        return [CConsent(**c) for c in store_of(info).consents.get(self.id, [])]

    @classmethod
    def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> CPerson:
        store_of(info).reference_calls.append(["Person", id])
        return CPerson(id=id)


@strawberry.type(name="Query")
class CQuery:
    @strawberry.field
    def purposes(self) -> list[str]:
        return ["matching", "analytics"]


consent_schema = strawberry.federation.Schema(query=CQuery, types=[CPerson])

SCHEMAS: dict[str, strawberry.federation.Schema] = {
    "matching": matching_schema,
    "scheduling": scheduling_schema,
    "consent": consent_schema,
}


def subgraph_sdls() -> dict[str, str]:
    sdls = {}
    for name, schema in SCHEMAS.items():
        result = schema.execute_sync("{ _service { sdl } }")
        assert result.data is not None
        sdls[name] = result.data["_service"]["sdl"]
    return sdls


@dataclass
class Subgraphs:
    """In-process subgraphs behind a `Fetch` that records every request."""

    store: Store = field(default_factory=make_store)
    calls: list[tuple[str, str, dict[str, Any] | None]] = field(default_factory=list)
    log: list[str] = field(default_factory=list)
    failing: set[str] = field(default_factory=set)
    # Called before each subgraph executes: lets a test hold requests to observe concurrency.
    before: Callable[[str], Awaitable[None]] | None = None

    async def fetch(self, subgraph: str, query: str, variables: dict[str, Any] | None) -> dict[str, Any]:
        # A JSON round trip, as over HTTP: strawberry's resolve_reference mutates representation dicts.
        self.calls.append((subgraph, query, json.loads(json.dumps(variables))))
        variables = json.loads(json.dumps(variables))
        if self.before is not None:
            await self.before(subgraph)
        if subgraph in self.failing:
            raise ConnectionError(f"{subgraph} is down")
        return await direct(subgraph, query, variables, store=self.store, log=self.log)

    def calls_to(self, subgraph: str) -> list[tuple[str, str, dict[str, Any] | None]]:
        return [c for c in self.calls if c[0] == subgraph]

    def entity_calls(self, subgraph: str) -> list[tuple[str, str, dict[str, Any] | None]]:
        return [c for c in self.calls_to(subgraph) if "_entities(" in c[1]]


async def direct(
    subgraph: str,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    store: Store,
    log: list[str] | None = None,
) -> dict[str, Any]:
    """Execute a query on one subgraph the way its HTTP endpoint would, and return the response dict."""
    result = await SCHEMAS[subgraph].execute(
        query,
        variable_values=variables,
        context_value={"store": store, "log": log if log is not None else []},
    )
    response: dict[str, Any] = {"data": result.data}
    if result.errors:
        response["errors"] = [e.formatted for e in result.errors]
    return response


@pytest.fixture(scope="session")
def supergraph() -> Supergraph:
    return compose(subgraph_sdls())


@pytest.fixture
def subgraphs() -> Subgraphs:
    return Subgraphs()


@pytest.fixture
def executor(supergraph: Supergraph, subgraphs: Subgraphs) -> FederatedExecutor:
    return FederatedExecutor(supergraph, subgraphs.fetch)


async def wait_for_all(events: dict[str, asyncio.Event], name: str) -> None:
    events[name].set()
    await asyncio.wait_for(asyncio.gather(*(e.wait() for e in events.values())), timeout=2)
