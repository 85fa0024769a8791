"""Every list that grows with use answers one page: walks, totals under object-level rules, bad pages."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

API = "/api/v1/matching"
PAGED = ["providers", "intakes", "proposals", "matches", "decisions"]
EXAMPLES = settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@dataclass
class Program:
    """A program with a few rows in every paged list, made through the public API."""

    world: Any
    program: dict[str, Any]
    coach: dict[str, Any]
    participant: dict[str, Any]
    created: dict[str, set[str]]

    def path(self, name: str) -> str:
        return f"{API}/programs" if name == "programs" else f"{API}/programs/{self.program['id']}/{name}"

    async def page(self, name: str, headers: dict[str, str] | None = None, **query: int) -> dict[str, Any]:
        resp = await self.world.client.get(
            self.path(name), params=query, headers=headers or self.world.headers
        )
        assert resp.status_code == 200, resp.text
        body: dict[str, Any] = resp.json()
        return body

    async def walk(self, name: str, limit: int, headers: dict[str, str] | None = None) -> list[str]:
        """Every id of the list, page by page; every page must report the same total."""
        ids: list[str] = []
        first = await self.page(name, headers, limit=limit, offset=0)
        while True:
            body = await self.page(name, headers, limit=limit, offset=len(ids))
            assert body["total"] == first["total"]
            assert len(body["items"]) <= limit
            ids += [item["id"] for item in body["items"]]
            if not body["items"]:
                break
        assert len(ids) == first["total"]
        return ids


@pytest.fixture
async def paged(world: Any) -> Program:
    program = await world.program()
    coaches = [await world.coach(program) for _ in range(2)]
    mentor = await world.mentor(program)
    people = [await world.intake(program) for _ in range(4)]
    proposals = [await world.proposal(p) for p in people]
    # Three approvals (two with the first coach), one rejection and one track override: five decisions.
    matches = []
    for proposal, coach in zip(proposals[:3], [coaches[0], coaches[0], coaches[1]], strict=True):
        resp = await world.client.post(
            f"{API}/proposals/{proposal['id']}/approve",
            json={"provider_id": coach["id"]},
            headers=world.headers,
        )
        assert resp.status_code == 200, resp.text
        matches.append(resp.json())
    resp = await world.client.post(
        f"{API}/proposals/{proposals[3]['id']}/reject",
        json={"reason": "needs a sponsor"},
        headers=world.headers,
    )
    assert resp.status_code == 200, resp.text
    resp = await world.client.post(
        f"{API}/intakes/{people[3]['id']}/track-override",
        json={"track": "mentor_plus_coaching", "reason": "retention risk"},
        headers=world.headers,
    )
    assert resp.status_code == 200, resp.text
    ids: Callable[[list[dict[str, Any]]], set[str]] = lambda rows: {r["id"] for r in rows}  # noqa: E731
    return Program(
        world=world,
        program=program,
        coach=coaches[0],
        participant=people[0],
        created={
            "programs": {program["id"]},
            "providers": ids([*coaches, mentor]),
            "intakes": ids(people),
            "proposals": ids(proposals),
            "matches": ids(matches),
            "decisions": set(),
        },
    )


async def test_decisions_fixture_has_five(paged: Program) -> None:
    body = await paged.page("decisions")
    assert [d["action"] for d in body["items"]] == [
        "approved",
        "approved",
        "approved",
        "rejected",
        "track_overridden",
    ]
    assert (body["total"], body["limit"], body["offset"]) == (5, 100, 0)


@pytest.mark.parametrize("name", ["programs", *PAGED])
@EXAMPLES
@given(limit=st.integers(min_value=1, max_value=6))
async def test_any_limit_walks_the_same_list(paged: Program, name: str, limit: int) -> None:
    everything = await paged.walk(name, 500)
    walked = await paged.walk(name, limit)
    assert walked == everything
    assert len(set(walked)) == len(walked)
    assert paged.created[name] <= set(walked)
    if name not in ("programs", "decisions"):
        assert set(walked) == paged.created[name]


@pytest.mark.parametrize("name", ["programs", *PAGED])
@EXAMPLES
@given(limit=st.integers(min_value=1, max_value=6), offset=st.integers(min_value=0, max_value=8))
async def test_a_page_is_a_slice_of_the_list(paged: Program, name: str, limit: int, offset: int) -> None:
    everything = await paged.walk(name, 500)
    body = await paged.page(name, limit=limit, offset=offset)
    assert [item["id"] for item in body["items"]] == everything[offset : offset + limit]
    assert (body["total"], body["limit"], body["offset"]) == (len(everything), limit, offset)


async def test_participant_total_counts_only_their_rows(paged: Program) -> None:
    me = paged.world.person(paged.participant["person_id"])
    [intake] = await paged.walk("intakes", 1, me)
    [proposal] = await paged.walk("proposals", 1, me)
    [match] = await paged.walk("matches", 1, me)
    assert intake == paged.participant["id"]
    assert proposal in paged.created["proposals"]
    assert match in paged.created["matches"]
    assert (await paged.page("providers", me, limit=1))["total"] == 0


async def test_provider_total_counts_only_their_rows(paged: Program) -> None:
    me = paged.world.person(paged.coach["person_id"], roles=("coach",))
    first = await paged.page("matches", me, limit=1)
    assert (len(first["items"]), first["total"]) == (1, 2)
    matches = await paged.walk("matches", 1, me)
    assert len(set(matches)) == 2
    assert set(matches) < paged.created["matches"]
    assert await paged.walk("providers", 1, me) == [paged.coach["id"]]
    assert (await paged.page("intakes", me, limit=1))["total"] == 0


async def test_stranger_pages_nothing(paged: Program) -> None:
    stranger = paged.world.person(uuid.uuid4())
    for name in ("providers", "intakes", "proposals", "matches"):
        assert await paged.page(name, stranger, limit=1, offset=0) == {
            "items": [],
            "total": 0,
            "limit": 1,
            "offset": 0,
        }


async def test_status_filter_counts_only_matching_proposals(paged: Program) -> None:
    resp = await paged.world.client.get(
        paged.path("proposals"), params={"status": "approved", "limit": 2}, headers=paged.world.headers
    )
    body = resp.json()
    assert (len(body["items"]), body["total"]) == (2, 3)
    assert {p["status"] for p in body["items"]} == {"approved"}


@pytest.mark.parametrize("name", ["programs", *PAGED])
@pytest.mark.parametrize(
    ("query", "parameter"), [("limit=0", "limit"), ("limit=501", "limit"), ("offset=-1", "offset")]
)
async def test_bad_page_names_the_parameter(world: Any, name: str, query: str, parameter: str) -> None:
    program = await world.program()
    path = f"{API}/programs" if name == "programs" else f"{API}/programs/{program['id']}/{name}"
    resp = await world.client.get(f"{path}?{query}", headers=world.headers)
    assert resp.status_code == 422
    assert resp.headers["content-type"] == "application/problem+json"
    body = resp.json()
    assert body["type"].endswith("validation-error")
    assert [(e["parameter"], e["in"]) for e in body["errors"]] == [(parameter, "query")]
