"""Subgraph errors land at the client's path; failures give null plus an error, never a wrong value."""

from __future__ import annotations

from typing import Any

from tandem_gateway.federation import FederatedExecutor, Supergraph

from .conftest import Subgraphs


async def test_entity_field_error_path_is_rewritten_to_the_client_path(executor: FederatedExecutor) -> None:
    result = await executor.execute("{ list: matches(first: 5) { id eng: engagement { riskNote } } }")

    assert result["errors"] == [
        {
            "message": "risk note unavailable for e3",
            "path": ["list", 3, "eng", "riskNote"],
            "extensions": {"serviceName": "scheduling"},
        }
    ]
    assert result["data"]["list"][3] == {"id": "m3", "eng": {"riskNote": None}}
    assert result["data"]["list"][2] == {"id": "m2", "eng": {"riskNote": "note e2"}}


async def test_one_deduplicated_entity_error_is_reported_at_every_path_that_uses_it(
    executor: FederatedExecutor,
) -> None:
    result = await executor.execute(
        '{ a: match(id: "m3") { engagement { riskNote } } b: match(id: "m13") { engagement { riskNote } } }'
    )

    assert result == {
        "errors": [
            {
                "message": "risk note unavailable for e3",
                "path": ["a", "engagement", "riskNote"],
                "extensions": {"serviceName": "scheduling"},
            },
            {
                "message": "risk note unavailable for e3",
                "path": ["b", "engagement", "riskNote"],
                "extensions": {"serviceName": "scheduling"},
            },
        ],
        "data": {"a": {"engagement": {"riskNote": None}}, "b": {"engagement": {"riskNote": None}}},
    }


async def test_non_null_field_error_nulls_the_nearest_nullable_parent_with_one_error(
    executor: FederatedExecutor,
) -> None:
    result = await executor.execute(
        '{ ok: match(id: "m1") { id engagement { checkedStatus } } bad: match(id: "m4") { id engagement { checkedStatus sessions { id } } } }'
    )

    assert result == {
        "errors": [
            {
                "message": "status check failed for e4",
                "path": ["bad", "engagement", "checkedStatus"],
                "extensions": {"serviceName": "scheduling"},
            }
        ],
        "data": {
            "ok": {"id": "m1", "engagement": {"checkedStatus": "PAUSED"}},
            "bad": {"id": "m4", "engagement": None},
        },
    }


async def test_root_field_error_keeps_the_other_subgraphs_data(executor: FederatedExecutor) -> None:
    result = await executor.execute("{ purposes engagements(status: PAUSED) { id riskNote } }")

    assert result["data"] == {
        "purposes": ["matching", "analytics"],
        "engagements": [
            {"id": "e1", "riskNote": "note e1"},
            {"id": "e4", "riskNote": "note e4"},
            {"id": "e7", "riskNote": "note e7"},
        ],
    }
    assert "errors" not in result


async def test_failing_root_subgraph_gives_null_and_an_error(supergraph: Supergraph) -> None:
    subgraphs = Subgraphs(failing={"consent"})
    executor = FederatedExecutor(supergraph, subgraphs.fetch)

    result = await executor.execute('{ purposes match(id: "m1") { score } }')

    assert result == {
        "errors": [
            {
                "message": "Subgraph 'consent' could not be reached or gave an invalid response",
                "extensions": {"code": "SUBGRAPH_FETCH_FAILED", "serviceName": "consent"},
            }
        ],
        # `purposes` is non-null, so its null propagates to `data` exactly as a monolith would do.
        "data": None,
    }


async def test_failing_entity_subgraph_nulls_only_its_fields(supergraph: Supergraph) -> None:
    subgraphs = Subgraphs(failing={"scheduling"})
    executor = FederatedExecutor(supergraph, subgraphs.fetch)

    result = await executor.execute("{ matches(first: 3) { id score engagement { id riskNote status } } }")

    assert result == {
        "errors": [
            {
                "message": "Subgraph 'scheduling' could not be reached or gave an invalid response",
                "extensions": {"code": "SUBGRAPH_FETCH_FAILED", "serviceName": "scheduling"},
            }
        ],
        "data": {
            "matches": [
                {"id": "m0", "score": 50.0, "engagement": None},
                {"id": "m1", "score": 50.9, "engagement": None},
                {"id": "m2", "score": 51.8, "engagement": None},
            ]
        },
    }


async def test_subgraph_error_without_data_is_passed_on(supergraph: Supergraph) -> None:
    async def fetch(subgraph: str, query: str, variables: dict[str, Any] | None) -> dict[str, Any]:
        return {"data": None, "errors": [{"message": "Not authorized", "extensions": {"code": "FORBIDDEN"}}]}

    executor = FederatedExecutor(supergraph, fetch)

    result = await executor.execute('{ match(id: "m1") { id } }')

    assert result == {
        "errors": [
            {"message": "Not authorized", "extensions": {"code": "FORBIDDEN", "serviceName": "matching"}}
        ],
        "data": {"match": None},
    }


async def test_root_error_without_data_keeps_its_path(supergraph: Supergraph) -> None:
    """A root query's error paths are the client's own (same fields, same aliases): they stay, as
    Apollo Router and Hive Gateway keep them."""

    async def fetch(subgraph: str, query: str, variables: dict[str, Any] | None) -> dict[str, Any]:
        return {"data": None, "errors": [{"message": "limit out of range", "path": ["one"]}]}

    executor = FederatedExecutor(supergraph, fetch)

    result = await executor.execute('{ one: match(id: "m1") { id } }')

    assert result == {
        "errors": [
            {"message": "limit out of range", "path": ["one"], "extensions": {"serviceName": "matching"}}
        ],
        "data": {"one": None},
    }


async def test_malformed_entities_response_is_an_error_not_a_wrong_join(supergraph: Supergraph) -> None:
    subgraphs = Subgraphs()

    async def fetch(subgraph: str, query: str, variables: dict[str, Any] | None) -> dict[str, Any]:
        response = await subgraphs.fetch(subgraph, query, variables)
        if "_entities" in query:
            response["data"]["_gw_e0"] = response["data"]["_gw_e0"][:-1]  # one entity short
        return response

    executor = FederatedExecutor(supergraph, fetch)

    result = await executor.execute("{ matches(first: 2) { id engagement { status } } }")

    assert result["data"] == {"matches": [{"id": "m0", "engagement": None}, {"id": "m1", "engagement": None}]}
    assert result["errors"][0]["extensions"] == {"code": "SUBGRAPH_FETCH_FAILED", "serviceName": "scheduling"}


async def test_unknown_field_is_a_validation_error_without_fetching(
    executor: FederatedExecutor, subgraphs: Subgraphs
) -> None:
    result = await executor.execute("{ matches { id salary } }")

    assert result == {
        "errors": [
            {
                "message": "Cannot query field 'salary' on type 'Match'.",
                "locations": [{"line": 1, "column": 16}],
            }
        ]
    }
    assert subgraphs.calls == []


async def test_federation_internals_cannot_be_queried(
    executor: FederatedExecutor, subgraphs: Subgraphs
) -> None:
    result = await executor.execute(
        '{ _service { sdl } _entities(representations: [{__typename: "Match", id: "m1"}]) { __typename } }'
    )

    assert [e["message"] for e in result["errors"]] == [
        "Cannot query field '_service' on type 'Query'.",
        "Cannot query field '_entities' on type 'Query'.",
    ]
    assert subgraphs.calls == []


async def test_syntax_error(executor: FederatedExecutor) -> None:
    result = await executor.execute("{ matches { id }")

    assert result == {
        "errors": [
            {"message": "Syntax Error: Expected Name, found <EOF>.", "locations": [{"line": 1, "column": 17}]}
        ]
    }


async def test_subscription_is_unsupported(supergraph: Supergraph, subgraphs: Subgraphs) -> None:
    from tandem_gateway.federation import compose

    from .conftest import subgraph_sdls

    sdls = subgraph_sdls()
    sdls["events"] = (
        'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])\n'
        "type Query { ping: String }\ntype Subscription { ticks: Int! }\n"
    )
    executor = FederatedExecutor(compose(sdls), subgraphs.fetch)

    result = await executor.execute("subscription { ticks }")

    assert result == {
        "errors": [
            {
                "message": "Subscriptions are not supported by the gateway executor",
                "extensions": {"code": "UNSUPPORTED_BY_EXECUTOR"},
            }
        ]
    }
    assert subgraphs.calls == []


async def test_reserved_alias_prefix_is_unsupported(
    executor: FederatedExecutor, subgraphs: Subgraphs
) -> None:
    result = await executor.execute("query($_gw_r0: Int!) { _gw_t: matches(first: $_gw_r0) { id } }")

    assert result == {
        "errors": [
            {
                "message": "Names starting with '_gw_' are reserved by the gateway: $_gw_r0, _gw_t",
                "extensions": {"code": "UNSUPPORTED_BY_EXECUTOR"},
            }
        ]
    }
    assert subgraphs.calls == []
