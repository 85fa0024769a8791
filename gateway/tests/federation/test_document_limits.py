"""The gateway bounds a document (size, tokens, fields, aliases, nesting) before it validates it."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest

from tandem_gateway.federation import FederatedExecutor, Supergraph
from tandem_gateway.federation.limits import GATEWAY_LIMITS
from tandem_kit.graphql import GraphQLLimits, parse_within
from tandem_kit.testing import least_loop_block

from .conftest import Subgraphs

# Generous for a shared 2-core machine; the same documents blocked the loop for seconds before.
LOOP_BLOCK_BOUND = 0.1


@pytest.fixture(autouse=True, scope="module")
def frozen_heap() -> Iterator[None]:
    """What the app does after start-up (tandem_kit.app): the test process's long-lived objects out of
    the collector's sight, so a full collection cannot be what blocks the loop."""
    gc.freeze()
    yield
    gc.unfreeze()


def typenames(n: int) -> str:
    return "{ " + " ".join(["__typename"] * n) + " }"


def fragment_chain(n: int) -> str:
    fragments = [f"fragment F{i} on Query {{ ...F{i + 1} }}" for i in range(n - 1)]
    return "{ ...F0 } " + " ".join([*fragments, f"fragment F{n - 1} on Query {{ __typename }}"])


def fragment_grid(n: int) -> str:
    fragments = " ".join(f"fragment F{i} on Query {{ {' '.join(['__typename'] * n)} }}" for i in range(n))
    return "{ " + " ".join(f"...F{i}" for i in range(n)) + " } " + fragments


def refused(code: str, limit: str, maximum: int, message: str) -> dict[str, Any]:
    return {"errors": [{"message": message, "extensions": {"code": code, "limit": limit, "max": maximum}}]}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            typenames(2000),
            refused("QUERY_TOO_LARGE", "maxFields", 250, "The document has 2000 fields; the limit is 250."),
        ),
        (
            "{ " + " ".join(f"a{i}: __typename" for i in range(101)) + " }",
            refused("TOO_MANY_ALIASES", "maxAliases", 100, "The document has 101 aliases; the limit is 100."),
        ),
        (
            fragment_chain(600),
            refused(
                "QUERY_TOO_DEEP", "maxDepth", 32, "The document is nested 601 levels deep; the limit is 32."
            ),
        ),
        (
            "{ " + "matches { " * 1500 + "id" + " }" * 1500 + " }",
            refused("QUERY_TOO_DEEP", "maxDepth", 32, "The document is nested deeper than the limit of 32."),
        ),
        (
            typenames(3000),  # the 33 KB document that held the loop ~6 s
            refused(
                "QUERY_TOO_LARGE",
                "maxQueryLength",
                32_768,
                "The document is 33003 characters long; the limit is 32768.",
            ),
        ),
        (
            "{ " + "a " * 5000 + "}",
            refused("QUERY_TOO_LARGE", "maxTokens", 5000, "The document has more than 5000 tokens."),
        ),
    ],
    ids=["fields", "aliases", "fragment-chain", "nesting", "length", "tokens"],
)
async def test_refused_before_validation_and_without_fetching(
    executor: FederatedExecutor, subgraphs: Subgraphs, query: str, expected: dict[str, Any]
) -> None:
    assert executor.limits == GATEWAY_LIMITS
    block, result = await least_loop_block(lambda: executor.execute(query), below=LOOP_BLOCK_BOUND)

    assert result == expected
    assert subgraphs.calls == []
    assert block < LOOP_BLOCK_BOUND


async def test_a_fragment_cycle_is_named_by_validation(executor: FederatedExecutor) -> None:
    result = await executor.execute("{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }")

    assert [e["message"] for e in result["errors"]] == ["Cannot spread fragment 'A' within itself via 'B'."]


@pytest.mark.parametrize(
    "query",
    [typenames(250), fragment_grid(15), "{ " + " ".join(f"a{i}: __typename" for i in range(100)) + " }"],
    ids=["fields-at-the-limit", "fragment-grid-15x15", "aliases-at-the-limit"],
)
async def test_the_costliest_documents_within_the_limits_leave_the_loop_free(
    executor: FederatedExecutor, query: str
) -> None:
    block, result = await least_loop_block(lambda: executor.execute(query), below=LOOP_BLOCK_BOUND)

    assert result == {"data": {"__typename": "Query"}} or set(result["data"]) == {f"a{i}" for i in range(100)}
    assert block < LOOP_BLOCK_BOUND, f"event loop blocked {block * 1000:.0f} ms"


async def test_limits_are_configurable(supergraph: Supergraph, subgraphs: Subgraphs) -> None:
    executor = FederatedExecutor(
        supergraph, subgraphs.fetch, limits=GATEWAY_LIMITS.model_copy(update={"max_fields": 2})
    )

    assert await executor.execute("{ a: __typename b: __typename }") == {"data": {"a": "Query", "b": "Query"}}
    assert (await executor.execute(typenames(3)))["errors"][0]["extensions"]["limit"] == "maxFields"


async def test_what_the_gateway_sends_a_subgraph_fits_the_subgraphs_limits(
    supergraph: Supergraph, subgraphs: Subgraphs
) -> None:
    # Near the gateway's field limit, every field an object (the most internal aliases and keys added).
    selection = (
        "id score participant { id consents { purpose granted } } engagement { id status sessions { id } }"
    )
    query = "{ " + " ".join(f"m{i}: matches {{ {selection} }}" for i in range(19)) + " }"
    assert len(parse_within(query, GATEWAY_LIMITS).definitions) == 1
    executor = FederatedExecutor(supergraph, subgraphs.fetch, max_cost=100_000)  # sizes, not cost, here

    result = await executor.execute(query)

    assert "errors" not in result
    assert len(result["data"]) == 19
    assert {subgraph for subgraph, _, _ in subgraphs.calls} == {"matching", "consent", "scheduling"}
    for _, sent, _ in subgraphs.calls:
        parse_within(sent, GraphQLLimits())  # a subgraph's defaults: raises if a limit refuses it
