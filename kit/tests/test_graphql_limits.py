"""GraphQL limits: a document is bounded before it is validated, and no request stops the event loop."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import strawberry
from graphql import GraphQLError
from hypothesis import given
from hypothesis import strategies as st

from tandem_kit.app import create_app
from tandem_kit.graphql import GraphQLLimits, QueryLimitError, parse_within
from tandem_kit.settings import KitSettings
from tandem_kit.testing import Infra, asgi_client, least_loop_block, running

LIMITS = GraphQLLimits(max_query_length=4000, max_tokens=800, max_fields=40, max_aliases=5, max_depth=6)
# Generous for a shared 2-core machine, and far below what the same requests cost on the loop before
# the limits (a 500-field document took 0.3 s to validate): the loop is blocked tens of ms at most.
LOOP_BLOCK_BOUND = 0.1


def refusal(query: str, limits: GraphQLLimits = LIMITS) -> dict[str, Any]:
    with pytest.raises(QueryLimitError) as refused:
        parse_within(query, limits)
    extensions = refused.value.extensions
    assert extensions is not None
    return {"message": refused.value.message, **extensions}


def typenames(n: int) -> str:
    return "{ " + " ".join(["__typename"] * n) + " }"


def nested_fields(n: int) -> str:
    """`{ node { node { ... { id } } } }` with `n` fields on the path."""
    return "{ " + "node { " * (n - 1) + "id" + " }" * (n - 1) + " }"


def fragment_chain(n: int) -> str:
    """`{ ...F0 }` where F0 spreads F1 ... and the last fragment selects `__typename`."""
    fragments = [f"fragment F{i} on Query {{ ...F{i + 1} }}" for i in range(n - 1)]
    return "{ ...F0 } " + " ".join([*fragments, f"fragment F{n - 1} on Query {{ __typename }}"])


def fragment_grid(n: int) -> str:
    """n fragments of n `__typename` each, spread side by side: n*n same-named fields to compare."""
    fragments = " ".join(f"fragment F{i} on Query {{ {' '.join(['__typename'] * n)} }}" for i in range(n))
    return "{ " + " ".join(f"...F{i}" for i in range(n)) + " } " + fragments


@given(n=st.integers(min_value=1, max_value=80))
def test_fields_up_to_the_limit_pass(n: int) -> None:
    if n <= LIMITS.max_fields:
        assert len(parse_within(typenames(n), LIMITS).definitions) == 1
    else:
        assert refusal(typenames(n)) == {
            "message": f"The document has {n} fields; the limit is 40.",
            "code": "QUERY_TOO_LARGE",
            "limit": "maxFields",
            "max": 40,
        }


def test_fields_in_a_fragment_count_once() -> None:
    # 10 spreads of a 10-field fragment: 10 fields written (+ none for the spreads), under 40.
    query = "{ " + "...F " * 10 + "} fragment F on Query { " + "__typename " * 10 + "}"

    assert len(parse_within(query, LIMITS).definitions) == 2


@given(n=st.integers(min_value=0, max_value=12))
def test_aliases_up_to_the_limit_pass(n: int) -> None:
    query = "{ " + " ".join(f"a{i}: __typename" for i in range(n)) + " __typename }"
    if n <= LIMITS.max_aliases:
        parse_within(query, LIMITS)
    else:
        assert refusal(query) == {
            "message": f"The document has {n} aliases; the limit is 5.",
            "code": "TOO_MANY_ALIASES",
            "limit": "maxAliases",
            "max": 5,
        }


@pytest.mark.parametrize(
    ("query", "depth"),
    [
        ("{ id }", 1),
        ("{ node { id } }", 2),
        ("{ ... on Query { node { id } } }", 3),
        ("{ node { ...N } } fragment N on Node { id }", 3),
        ("{ ...Q } fragment Q on Query { node { ...N } } fragment N on Node { node { id } }", 5),
        ("{ a: node { id } b: node { node { node { id } } } }", 4),
    ],
)
def test_depth_counts_fields_inline_fragments_and_spreads(query: str, depth: int) -> None:
    parse_within(query, LIMITS.model_copy(update={"max_depth": depth}))
    assert refusal(query, LIMITS.model_copy(update={"max_depth": depth - 1}))["message"] == (
        f"The document is nested {depth} levels deep; the limit is {depth - 1}."
    )


@given(n=st.integers(min_value=1, max_value=12))
def test_depth_of_a_fragment_chain_is_its_length_plus_the_field(n: int) -> None:
    limits = LIMITS.model_copy(update={"max_depth": 7})
    if n + 1 <= 7:
        parse_within(fragment_chain(n), limits)
    else:
        assert refusal(fragment_chain(n), limits)["message"] == (
            f"The document is nested {n + 1} levels deep; the limit is 7."
        )


def test_a_chain_of_thousands_of_fragments_is_refused_without_recursing() -> None:
    limits = GraphQLLimits()  # the default length and token limits let 1,000 fragments through

    assert refusal(fragment_chain(1000), limits)["message"] == (
        "The document is nested 1001 levels deep; the limit is 64."
    )


def test_a_fragment_cycle_is_left_to_validation() -> None:
    query = "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A __typename }"

    # A spread back into a fragment being measured counts one level: validation names the cycle.
    assert len(parse_within(query, LIMITS).definitions) == 3


def test_nesting_too_deep_for_the_parser_is_a_depth_error() -> None:
    query = "{ " + "node { " * 3000 + "id" + " }" * 3000 + " }"

    assert refusal(query, GraphQLLimits()) == {
        "message": "The document is nested deeper than the limit of 64.",
        "code": "QUERY_TOO_DEEP",
        "limit": "maxDepth",
        "max": 64,
    }


def test_a_long_document_is_refused_before_parsing() -> None:
    assert refusal("{ __typename " + " " * 4000 + "}") == {
        "message": "The document is 4014 characters long; the limit is 4000.",
        "code": "QUERY_TOO_LARGE",
        "limit": "maxQueryLength",
        "max": 4000,
    }


def test_too_many_tokens() -> None:
    assert refusal("{ node(ids: [" + "1 " * 1000 + "]) { id } }")["limit"] == "maxTokens"


def test_syntax_errors_stay_syntax_errors() -> None:
    with pytest.raises(GraphQLError) as error:
        parse_within("{ node { id }", LIMITS)

    assert not isinstance(error.value, QueryLimitError)
    assert error.value.message == "Syntax Error: Expected Name, found <EOF>."


# -- a subgraph served by create_app -------------------------------------------------------------


@strawberry.type
class Node:
    id: strawberry.ID

    @strawberry.field
    def node(self) -> "Node":
        return Node(id=strawberry.ID(f"{self.id}+"))


@strawberry.type
class Query:
    @strawberry.field
    def node(self, id: strawberry.ID = strawberry.ID("n")) -> Node:
        return Node(id=id)

    @strawberry.field
    def sizes(self, lists: list[list[int]]) -> list[int]:
        return [len(items) for items in lists]


SCHEMA = strawberry.federation.Schema(query=Query)


@pytest.fixture(scope="module")
def settings(infra: Infra) -> KitSettings:
    return KitSettings(
        environment="test",
        database_url=infra.postgres.url("postgres"),
        nats_url=infra.nats.url,
        revocation_list_url=None,
    )


@pytest.fixture
async def client(infra: Infra, settings: KitSettings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        name="probe",
        settings=settings,
        graphql_schema=SCHEMA,
        token_verifier=infra.keys.verifier("probe"),
        run_relay=False,
    )
    async with running(app), asgi_client(app, **infra.keys.headers("probe:read")) as c:
        yield c


async def test_a_normal_query_is_answered(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": '{ node(id: "a") { id node { id } } }'})

    assert response.json() == {"data": {"node": {"id": "a", "node": {"id": "a+"}}}}


async def test_a_refused_document_is_a_graphql_error(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": typenames(3000)})

    assert response.status_code == 200
    assert response.json() == {
        "data": None,
        "errors": [
            {
                "message": "The document has 3000 fields; the limit is 500.",
                "extensions": {"code": "QUERY_TOO_LARGE", "limit": "maxFields", "max": 500},
            }
        ],
    }


async def test_validation_still_runs(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": "{ nodes }"})

    assert response.json()["errors"][0]["message"] == (
        "Cannot query field 'nodes' on type 'Query'. Did you mean 'node' or 'sizes'?"
    )


async def test_a_body_over_the_limit_is_413(client: httpx.AsyncClient) -> None:
    body = b'{"query": "{ __typename }", "x": "' + b"x" * 262_144 + b'"}'
    response = await client.post("/graphql", content=body, headers={"content-type": "application/json"})

    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["max_bytes"] == 262_144


async def test_a_body_without_length_is_411(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"query": "{ __typename }"}'

    response = await client.post("/graphql", content=chunks(), headers={"content-type": "application/json"})

    assert response.status_code == 411
    assert response.json()["title"] == "Length required"


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"query": "query($l: [[Int!]!]!) { sizes(lists: $l) }", "variables": {"l": '
        + b"[" * 100_000
        + b"]" * 100_000
        + b"}}",
    ],
    ids=["body", "variables"],
)
async def test_json_nested_too_deeply_is_400(client: httpx.AsyncClient, body: bytes) -> None:
    response = await client.post("/graphql", content=body, headers={"content-type": "application/json"})

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "The JSON body is nested too deeply."


ABUSE = {
    # Within the limits, the most the validator can be made to do: ~500 same-named fields to compare.
    "fields_at_the_limit": typenames(500),
    "fragment_grid_22x22": fragment_grid(22),
    "aliases_at_the_limit": "{ " + " ".join(f"a{i}: __typename" for i in range(500)) + " }",
    # Refused by the limits.
    "fields_33kb": typenames(3000),
    "fragment_chain_1000": fragment_chain(1000),
    "nested_5000": "{ " + "node { " * 5000 + "id" + " }" * 5000 + " }",
    "whitespace_60kb": "{ __typename" + " " * 60_000 + "}",
}


@pytest.mark.parametrize("query", ABUSE.values(), ids=ABUSE.keys())
async def test_no_request_blocks_the_event_loop(client: httpx.AsyncClient, query: str) -> None:
    block, response = await least_loop_block(
        lambda: client.post("/graphql", json={"query": query}), below=LOOP_BLOCK_BOUND
    )

    assert response.status_code == 200
    assert block < LOOP_BLOCK_BOUND, f"event loop blocked {block * 1000:.0f} ms"
