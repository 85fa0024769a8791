"""Composition: the API schema, the ownership maps, and the errors for what cannot be composed."""

from __future__ import annotations

import zlib
from typing import Any

import pytest

from tandem_gateway.federation import CompositionError, FederatedExecutor, Supergraph, compose

LINK = 'schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"]) { query: Query }\n'


def sdl(body: str, imports: str = '"@key", "@shareable"') -> str:
    return (
        f'schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: [{imports}]) {{ query: Query }}\n'
        + body
        + "\ntype Query { _entities(representations: [_Any!]!): [_Entity]! _service: _Service! "
        # A root field unique to this SDL, so that two test subgraphs never share one.
        + f"x{zlib.crc32(body.encode())}: Int }}\nscalar _Any\ntype _Service {{ sdl: String! }}\n"
    )


def composition_errors(sdls: dict[str, str]) -> list[str]:
    with pytest.raises(CompositionError) as caught:
        compose(sdls)
    return caught.value.errors


def test_api_schema_hides_federation_internals(supergraph: Supergraph) -> None:
    text = FederatedExecutor(supergraph, _no_fetch).sdl()

    for internal in ("_entities", "_service", "_Any", "_Entity", "_Service", "@key", "@link", "federation__"):
        assert internal not in text
    assert (
        "type Engagement {\n  id: ID!\n  status: EngagementStatus!\n  sessions(limit: Int! = 10): [Session!]!\n"
        "  match: Match!\n  riskNote: String\n  checkedStatus: EngagementStatus!\n}"
    ) in text
    assert "type Person {\n  id: ID!\n  consents: [Consent!]!\n}" in text


def test_ownership_maps(supergraph: Supergraph) -> None:
    assert supergraph.field_owners[("Engagement", "status")] == ("scheduling",)
    assert supergraph.field_owners[("Engagement", "id")] == ("matching", "scheduling")
    assert supergraph.field_owners[("Query", "purposes")] == ("consent",)
    assert supergraph.entity_keys["Person"] == {"matching": ("id",), "consent": ("id",)}
    assert supergraph.possible_types["matching"]["MatchingItem"] == frozenset({"Match", "Program"})


def test_field_in_two_subgraphs_without_shareable_is_refused() -> None:
    errors = composition_errors(
        {
            "a": sdl('type Money { amount: Int! }\ntype Thing @key(fields: "id") { id: ID! price: Money }'),
            "b": sdl('type Money { amount: Int! }\ntype Other @key(fields: "id") { id: ID! price: Money }'),
        }
    )

    assert errors == [
        "Field Money.amount is resolved by subgraphs 'a', 'b' but is not marked @shareable in 'a', 'b'"
    ]


def test_shareable_fields_compose_and_keep_every_owner() -> None:
    supergraph = compose(
        {
            "a": sdl("type Money @shareable { amount: Int! currency: String! }\ntype Query2 { a: Money }"),
            "b": sdl(
                "type Money { amount: Int! @shareable currency: String! @shareable }\ntype Query3 { b: Money }"
            ),
        }
    )

    assert supergraph.field_owners[("Money", "amount")] == ("a", "b")


async def test_shareable_root_field_is_fetched_from_one_subgraph() -> None:
    async def fetch(subgraph: str, query: str, variables: dict[str, Any] | None) -> dict[str, Any]:
        calls.append(subgraph)
        return {"data": {"version": f"from {subgraph}", "other": 1}}

    calls: list[str] = []
    supergraph = compose(
        {
            "a": LINK + "type Query { version: String @shareable }",
            "b": LINK + "type Query { version: String @shareable other: Int }",
        }
    )
    executor = FederatedExecutor(supergraph, fetch)

    result = await executor.execute("{ other version }")

    assert result == {"data": {"other": 1, "version": "from b"}}
    assert calls == ["b"]


def test_type_kind_conflict() -> None:
    errors = composition_errors({"a": sdl("enum Status { ON OFF }"), "b": sdl("type Status { on: Boolean }")})

    assert errors == ["Type Status is a Enum in subgraph 'a' but a Object in subgraph 'b'"]


def test_conflicting_field_types() -> None:
    errors = composition_errors(
        {
            "a": sdl('type Match @key(fields: "id") { id: ID! score: Float @shareable }'),
            "b": sdl('type Match @key(fields: "id") { id: ID! score: String @shareable }'),
        }
    )

    assert errors == ["Field Match.score has conflicting types: Float and String (subgraph 'b')"]


def test_nullability_difference_composes_to_the_nullable_type() -> None:
    supergraph = compose(
        {
            "a": sdl('type Match @key(fields: "id") { id: ID! tags: [String!]! @shareable }'),
            "b": sdl('type Match @key(fields: "id") { id: ID! tags: [String] @shareable }'),
        }
    )

    assert str(supergraph.api_schema.get_type("Match").fields["tags"].type) == "[String]"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("directive", "usage"),
    [
        ("@requires", 'total: Int @requires(fields: "price")'),
        ("@provides", 'seller: Seller @provides(fields: "name")'),
        ("@override", 'total: Int @override(from: "b")'),
        ("@authenticated", "total: Int @authenticated"),
    ],
)
def test_unsupported_directives_are_refused(directive: str, usage: str) -> None:
    body = f'type Seller {{ name: String }}\ntype Order @key(fields: "id") {{ id: ID! price: Int {usage} }}'

    errors = composition_errors({"a": sdl(body, f'"@key", "{directive}"')})

    assert errors == [
        f"Subgraph 'a': {directive} on field Order.{usage.split(':')[0]} is not supported by the gateway executor"
    ]


def test_namespaced_federation_directive_is_recognised() -> None:
    errors = composition_errors(
        {
            "a": sdl(
                'type Order @key(fields: "id") { id: ID! total: Int @federation__requires(fields: "id") }',
                '"@key"',
            )
        }
    )

    assert errors == ["Subgraph 'a': @requires on field Order.total is not supported by the gateway executor"]


def test_external_only_on_key_fields() -> None:
    errors = composition_errors(
        {
            "a": sdl('type Order @key(fields: "id") { id: ID! total: Int @external }', '"@key", "@external"'),
        }
    )

    assert errors == [
        "Subgraph 'a': @external on Order.total is only supported on key fields"
        " (@requires/@provides are not supported by the gateway executor)"
    ]


def test_renamed_key_import() -> None:
    supergraph = compose(
        {
            "a": sdl(
                'type Order @primaryKey(fields: "id") { id: ID! total: Int }',
                '{ name: "@key", as: "@primaryKey" }',
            )
        }
    )

    assert supergraph.entity_keys == {"Order": {"a": ("id",)}}


def test_entity_fields_without_a_resolvable_key_are_refused() -> None:
    errors = composition_errors(
        {
            "a": sdl('type Person @key(fields: "id") { id: ID! name: String }'),
            "b": sdl('type Person @key(fields: "id", resolvable: false) { id: ID! email: String }'),
        }
    )

    assert errors == [
        "Entity Person: subgraph 'b' owns fields email but declares no resolvable @key for it,"
        " so no other subgraph can reach them"
    ]


def test_value_type_with_different_fields_is_refused() -> None:
    errors = composition_errors(
        {
            "a": sdl("type Window @shareable { start: String }"),
            "b": sdl("type Window @shareable { start: String end: String }"),
        }
    )

    assert errors == [
        "Value type Window has different fields in subgraphs 'a' and 'b' (end); give it a @key to make it an"
        " entity or define the same fields in both"
    ]


def test_entity_defined_without_key_elsewhere_is_refused() -> None:
    errors = composition_errors(
        {
            "a": sdl('type Engagement @key(fields: "id") { id: ID! status: String }'),
            "b": sdl(
                'type Engagement { id: ID! }\ntype Match @key(fields: "id") { id: ID! engagement: Engagement }'
            ),
        }
    )

    assert errors == [
        "Field Engagement.id is resolved by subgraphs 'a', 'b' but is not marked @shareable in 'b'",
        "Entity Engagement has @key in subgraph 'a' but subgraph 'b' defines it without one;"
        ' add @key(fields: "id") there (resolvable: false for a stub)',
    ]


def test_one_of_input_keeps_its_directive() -> None:
    supergraph = compose({"a": sdl("input Pick @oneOf { a: Int b: Int }\ntype Find { x(p: Pick): Int }")})

    assert "input Pick @oneOf {" in FederatedExecutor(supergraph, _no_fetch).sdl()


def test_enums_must_be_identical() -> None:
    errors = composition_errors(
        {"a": sdl("enum Status { ON OFF }"), "b": sdl("enum Status { ON OFF PAUSED }")}
    )

    assert errors == [
        "Enum Status differs between subgraphs 'a', 'b'; enums and input types must be defined identically everywhere"
    ]


def test_nested_key_is_unsupported() -> None:
    errors = composition_errors({"a": sdl('type Seat @key(fields: "room { id }") { id: ID! }')})

    assert errors == [
        "Subgraph 'a': @key(fields: 'room { id }') on Seat is not supported: only keys made of scalar fields"
        ' of the type itself (e.g. "id") are'
    ]


def test_unparseable_sdl() -> None:
    assert composition_errors({"a": "type {"}) == [
        "Subgraph 'a': SDL does not parse: Syntax Error: Expected Name, found '{'."
    ]


def test_no_subgraphs() -> None:
    assert composition_errors({}) == ["No subgraphs to compose"]


def test_inaccessible_field_is_hidden_from_the_api() -> None:
    supergraph = compose(
        {
            "a": sdl(
                'type Order @key(fields: "id") { id: ID! secret: String @inaccessible }',
                '"@key", "@inaccessible"',
            )
        }
    )

    assert "secret" not in FederatedExecutor(supergraph, _no_fetch).sdl()
    assert supergraph.field_owners[("Order", "secret")] == ("a",)


def test_federation_1_extend_type_with_external_key() -> None:
    supergraph = compose(
        {
            "orders": 'type Order @key(fields: "id") { id: ID! total: Int }\ntype Query { orders: [Order] }',
            "shipping": 'extend type Order @key(fields: "id") { id: ID! @external eta: String }\n'
            "type Query { _service: _Service! }\ntype _Service { sdl: String }",
        }
    )

    assert supergraph.field_owners[("Order", "eta")] == ("shipping",)
    assert supergraph.field_owners[("Order", "id")] == ("orders",)
    assert supergraph.entity_keys["Order"] == {"orders": ("id",), "shipping": ("id",)}


async def _no_fetch(subgraph: str, query: str, variables: dict[str, Any] | None) -> dict[str, Any]:
    raise AssertionError("no fetch expected")
