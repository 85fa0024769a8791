"""Depth and cost limits refuse an operation before any subgraph is called."""

from __future__ import annotations

import time

from graphql import FragmentDefinitionNode, OperationDefinitionNode, parse
from hypothesis import given, settings
from hypothesis import strategies as st

from tandem_gateway.federation import FederatedExecutor, Supergraph
from tandem_gateway.federation.limits import Measure, measure

from .conftest import Subgraphs


def measure_query(supergraph: Supergraph, query: str) -> Measure:
    document = parse(query)
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    return measure(supergraph.api_schema, operation, fragments)


def chain(levels: int) -> str:
    """`match { engagement { match { engagement ... { id } } } }` with `levels` fields on the deepest path."""
    names = ['match(id: "m1")'] + ["engagement" if i % 2 else "match" for i in range(1, levels - 1)]
    inner = "id"
    for name in reversed(names):
        inner = f"{name} {{ {inner} }}"
    return "{ " + inner + " }"


def test_cost_counts_fields_and_multiplies_under_lists(supergraph: Supergraph) -> None:
    # matches: 1 + 10 * (id 1 + engagement (1 + status 1 + sessions (1 + 10 * id 1)))
    assert measure_query(supergraph, "{ matches { id engagement { status sessions { id } } } }") == Measure(
        depth=4, cost=1 + 10 * (1 + (1 + 1 + (1 + 10 * 1)))
    )


def test_fragments_count_where_they_are_spread(supergraph: Supergraph) -> None:
    query = '{ matches { ...F } match(id: "m1") { ...F } } fragment F on Match { id engagement { id } }'

    assert measure_query(supergraph, query) == Measure(depth=3, cost=(1 + 10 * 3) + (1 + 3))


def test_introspection_fields_are_free(supergraph: Supergraph) -> None:
    assert measure_query(
        supergraph, "{ __schema { types { fields { type { ofType { name } } } } } purposes }"
    ) == (Measure(depth=1, cost=1))


@settings(max_examples=40, deadline=None)
@given(levels=st.integers(min_value=2, max_value=20))
def test_depth_of_a_chain_is_its_field_count(supergraph: Supergraph, levels: int) -> None:
    assert measure_query(supergraph, chain(levels)).depth == levels


async def test_query_at_the_depth_limit_is_answered(executor: FederatedExecutor) -> None:
    result = await executor.execute(chain(12))

    assert "errors" not in result
    assert result["data"]["match"]["engagement"]["match"]["engagement"]["match"]["engagement"]["match"] == {
        "engagement": {"match": {"engagement": {"match": {"id": "m1"}}}}
    }


async def test_too_deep_query_is_refused_without_fetching(
    executor: FederatedExecutor, subgraphs: Subgraphs
) -> None:
    result = await executor.execute(chain(13))

    assert result == {
        "errors": [
            {
                "message": "Query depth 13 exceeds the limit of 12",
                "extensions": {"code": "QUERY_TOO_DEEP", "depth": 13, "maxDepth": 12},
            }
        ]
    }
    assert subgraphs.calls == []


async def test_too_costly_query_is_refused_without_fetching(
    supergraph: Supergraph, subgraphs: Subgraphs
) -> None:
    executor = FederatedExecutor(supergraph, subgraphs.fetch, max_cost=200)

    result = await executor.execute(
        "{ programs { matches { id score engagement { sessions { id startsAt } } } } }"
    )

    # programs: 1 + 10 * matches (1 + 10 * (id + score + engagement (1 + sessions (1 + 10 * 2))))
    assert result == {
        "errors": [
            {
                "message": "Query cost 2411 exceeds the limit of 200",
                "extensions": {"code": "QUERY_TOO_COSTLY", "cost": 2411, "maxCost": 200},
            }
        ]
    }
    assert subgraphs.calls == []


async def test_fragment_bomb_is_measured_quickly_and_refused(
    executor: FederatedExecutor, subgraphs: Subgraphs
) -> None:
    # Each fragment spreads the previous one twice: 2**25 copies of `id` once expanded (a chain of 25
    # spreads nests 28 levels: within the nesting limit checked before validation).
    fragments = ["fragment F0 on Match { id }"] + [
        f"fragment F{i} on Match {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, 26)
    ]
    query = "{ matches { ...F25 } } " + " ".join(fragments)

    started = time.perf_counter()
    result = await executor.execute(query)

    assert result["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"
    assert result["errors"][0]["extensions"]["cost"] == 1 + 10 * 2**25
    assert time.perf_counter() - started < 2
    assert subgraphs.calls == []
