"""Variables, fragments, aliases, __typename, abstract types, mutations and introspection."""

from __future__ import annotations

from tandem_gateway.federation import FederatedExecutor

from .conftest import Subgraphs


async def test_variables_are_forwarded_with_their_definitions(
    executor: FederatedExecutor, subgraphs: Subgraphs
) -> None:
    result = await executor.execute(
        "query Top($min: Float, $n: Int!, $limit: Int = 1) {"
        " matches(minScore: $min, first: $n) { id engagement { sessions(limit: $limit) { id } } } }",
        {"min": 93.0, "n": 2},
    )

    assert result == {
        "data": {
            "matches": [
                {"id": "m48", "engagement": {"sessions": [{"id": "s8-0"}]}},
                {"id": "m49", "engagement": {"sessions": [{"id": "s9-0"}]}},
            ]
        }
    }
    (matching,) = subgraphs.calls_to("matching")
    assert matching[1].startswith("query Top__matching__0($min: Float, $n: Int!) {")
    assert matching[2] == {"min": 93.0, "n": 2}
    (scheduling,) = subgraphs.calls_to("scheduling")
    assert "($limit: Int = 1, $_gw_r0: [_Any!]!)" in scheduling[1]
    assert scheduling[2] is not None
    assert "limit" not in scheduling[2]


async def test_enum_variable(executor: FederatedExecutor, subgraphs: Subgraphs) -> None:
    result = await executor.execute(
        "query($s: EngagementStatus) { engagements(status: $s) { id status } }", {"s": "PAUSED"}
    )

    assert result == {
        "data": {
            "engagements": [
                {"id": "e1", "status": "PAUSED"},
                {"id": "e4", "status": "PAUSED"},
                {"id": "e7", "status": "PAUSED"},
            ]
        }
    }
    assert subgraphs.calls[0][2] == {"s": "PAUSED"}


async def test_invalid_variable_is_refused_before_any_fetch(
    executor: FederatedExecutor, subgraphs: Subgraphs
) -> None:
    result = await executor.execute("query($n: Int!) { matches(first: $n) { id } }", {"n": "many"})

    assert result == {
        "errors": [
            {
                "message": "Variable '$n' got invalid value 'many'; Int cannot represent non-integer value: 'many'",
                "locations": [{"line": 1, "column": 7}],
            }
        ]
    }
    assert subgraphs.calls == []


async def test_skip_and_include_are_evaluated_at_the_gateway(
    executor: FederatedExecutor, subgraphs: Subgraphs
) -> None:
    result = await executor.execute(
        'query($withEngagement: Boolean!) { match(id: "m1") { id score @skip(if: true)'
        " engagement @include(if: $withEngagement) { status } } }",
        {"withEngagement": False},
    )

    assert result == {"data": {"match": {"id": "m1"}}}
    assert [c[0] for c in subgraphs.calls] == ["matching"]
    assert "engagement" not in subgraphs.calls[0][1]
    assert subgraphs.calls[0][2] is None


async def test_named_and_inline_fragments(executor: FederatedExecutor) -> None:
    result = await executor.execute(
        """
        query { match(id: "m4") { ...MatchParts engagement { ... on Engagement { status } ...Sessions } } }
        fragment MatchParts on Match { id score }
        fragment Sessions on Engagement { sessions { durationMinutes } }
        """
    )

    assert result == {
        "data": {
            "match": {
                "id": "m4",
                "score": 53.6,
                "engagement": {
                    "status": "PAUSED",
                    "sessions": [{"durationMinutes": 45}, {"durationMinutes": 60}],
                },
            }
        }
    }


async def test_aliases_at_every_level(executor: FederatedExecutor) -> None:
    result = await executor.execute(
        '{ first: match(id: "m1") { key: id eng: engagement { state: status s: sessions(limit: 1) { at: startsAt } } }'
        ' second: match(id: "m2") { key: id rating: score } }'
    )

    assert result == {
        "data": {
            "first": {
                "key": "m1",
                "eng": {"state": "PAUSED", "s": [{"at": "2025-01-02T10:00:00Z"}]},
            },
            "second": {"key": "m2", "rating": 51.8},
        }
    }


async def test_same_field_with_two_aliases_in_an_entity_fetch(executor: FederatedExecutor) -> None:
    result = await executor.execute(
        '{ match(id: "m2") { engagement { one: sessions(limit: 1) { id } all: sessions { id } } } }'
    )

    assert result == {
        "data": {
            "match": {
                "engagement": {
                    "one": [{"id": "s2-0"}],
                    "all": [{"id": "s2-0"}, {"id": "s2-1"}, {"id": "s2-2"}],
                }
            }
        }
    }


async def test_typename_everywhere(executor: FederatedExecutor) -> None:
    result = await executor.execute(
        '{ __typename match(id: "m0") { __typename engagement { __typename t: __typename status } } }'
    )

    assert result == {
        "data": {
            "__typename": "Query",
            "match": {
                "__typename": "Match",
                "engagement": {"__typename": "Engagement", "t": "Engagement", "status": "ACTIVE"},
            },
        }
    }


async def test_union_with_fragments_per_member_and_an_entity_jump(executor: FederatedExecutor) -> None:
    result = await executor.execute(
        """{ search(term: "1") { __typename
             ... on Program { name }
             ... on Match { score engagement { status } } } }"""
    )

    assert result == {
        "data": {
            "search": [
                {"__typename": "Program", "name": "Mentoring Circle"},
                {"__typename": "Match", "score": 50.9, "engagement": {"status": "PAUSED"}},
            ]
        }
    }


async def test_interface_field_and_type_conditions(executor: FederatedExecutor) -> None:
    query = """query($id: ID!) { node(id: $id) { id ... on Match { engagement { status } } ... on Program { name } } }"""

    match = await executor.execute(query, {"id": "m5"})
    program = await executor.execute(query, {"id": "pr0"})

    assert match == {"data": {"node": {"id": "m5", "engagement": {"status": "CLOSED"}}}}
    assert program == {"data": {"node": {"id": "pr0", "name": "Leaders 2025"}}}


async def test_operation_name_selects_the_operation(executor: FederatedExecutor) -> None:
    document = 'query A { purposes } query B { match(id: "m1") { id } }'

    assert await executor.execute(document, operation_name="A") == {
        "data": {"purposes": ["matching", "analytics"]}
    }
    assert await executor.execute(document, operation_name="B") == {"data": {"match": {"id": "m1"}}}
    assert await executor.execute(document) == {
        "errors": [{"message": "Must provide operation name if query contains multiple operations."}]
    }


async def test_mutations_run_in_order_on_their_owning_subgraphs(
    executor: FederatedExecutor, subgraphs: Subgraphs
) -> None:
    result = await executor.execute(
        """mutation { a: rescore(id: "m1", score: 99.5) { id score }
           b: pauseEngagement(id: "e0") { id status match { score } }
           c: rescore(id: "m0", score: 12.5) { score } }"""
    )

    assert result == {
        "data": {
            "a": {"id": "m1", "score": 99.5},
            "b": {"id": "e0", "status": "PAUSED", "match": {"score": 50.0}},
            "c": {"score": 12.5},
        }
    }
    assert subgraphs.log == ["rescore m1", "pause e0", "rescore m0"]
    assert [c[0] for c in subgraphs.calls] == ["matching", "scheduling", "matching", "matching"]
    assert subgraphs.calls[0][1].startswith("mutation {")
    assert subgraphs.calls[2][1].startswith("query(")


async def test_introspection_is_answered_locally(executor: FederatedExecutor, subgraphs: Subgraphs) -> None:
    result = await executor.execute(
        '{ __schema { queryType { name } mutationType { name } } __type(name: "Engagement") { fields { name } } }'
    )

    assert result == {
        "data": {
            "__schema": {"queryType": {"name": "Query"}, "mutationType": {"name": "Mutation"}},
            "__type": {
                "fields": [
                    {"name": "id"},
                    {"name": "status"},
                    {"name": "sessions"},
                    {"name": "match"},
                    {"name": "riskNote"},
                    {"name": "checkedStatus"},
                ]
            },
        }
    }
    assert subgraphs.calls == []


async def test_introspection_hides_federation_internals(executor: FederatedExecutor) -> None:
    result = await executor.execute("{ __schema { types { name } directives { name } } }")

    names = {t["name"] for t in result["data"]["__schema"]["types"]}
    assert {"Match", "Engagement", "Person", "Consent", "EngagementStatus"} <= names
    assert not {n for n in names if n.startswith("_") and not n.startswith("__")}
    assert {d["name"] for d in result["data"]["__schema"]["directives"]} == {
        "include",
        "skip",
        "deprecated",
        "specifiedBy",
        "oneOf",
    }


async def test_standard_introspection_query_passes_the_limits(executor: FederatedExecutor) -> None:
    from graphql import get_introspection_query

    result = await executor.execute(get_introspection_query())

    assert "errors" not in result
    assert result["data"]["__schema"]["queryType"] == {"name": "Query"}


async def test_introspection_mixed_with_data_fields(
    executor: FederatedExecutor, subgraphs: Subgraphs
) -> None:
    result = await executor.execute('{ __type(name: "Consent") { fields { name } } purposes }')

    assert result == {
        "data": {
            "__type": {"fields": [{"name": "purpose"}, {"name": "granted"}]},
            "purposes": ["matching", "analytics"],
        }
    }
    assert [(c[0], c[1]) for c in subgraphs.calls] == [("consent", "query { purposes }")]
