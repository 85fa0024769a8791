"""Federated results equal a hand join of the subgraphs' own answers; requests are batched and concurrent."""

from __future__ import annotations

import asyncio
from typing import Any

from tandem_gateway.federation import FederatedExecutor, Supergraph

from .conftest import Subgraphs, direct, make_store, wait_for_all


async def engagements_by_id() -> dict[str, dict[str, Any]]:
    response = await direct(
        "scheduling",
        "{ engagements { id status sessions { id startsAt } match { id } } }",
        store=make_store(),
    )
    return {e["id"]: e for e in response["data"]["engagements"]}


async def test_entity_fields_joined_from_owning_subgraph(executor: FederatedExecutor) -> None:
    result = await executor.execute(
        "{ matches { id score engagement { id status sessions { id startsAt } } } }"
    )

    matches = (await direct("matching", "{ matches { id score engagement { id } } }", store=make_store()))[
        "data"
    ]
    engagements = await engagements_by_id()
    expected = [
        {
            "id": m["id"],
            "score": m["score"],
            "engagement": None
            if m["engagement"] is None
            else {
                "id": m["engagement"]["id"],
                "status": engagements[m["engagement"]["id"]]["status"],
                "sessions": engagements[m["engagement"]["id"]]["sessions"],
            },
        }
        for m in matches["matches"]
    ]
    assert result == {"data": {"matches": expected}}
    assert len(expected) == 50
    assert sum(m["engagement"] is None for m in expected) == 4


async def test_fifty_matches_make_one_deduplicated_entities_call(
    executor: FederatedExecutor, subgraphs: Subgraphs
) -> None:
    await executor.execute("{ matches { id engagement { status } } }")

    assert [c[0] for c in subgraphs.calls] == ["matching", "scheduling"]
    ((_, query, variables),) = subgraphs.entity_calls("scheduling")
    assert query.count("_entities(") == 1
    assert variables is not None
    assert variables["_gw_r0"] == [{"__typename": "Engagement", "id": f"e{i}"} for i in range(10)]
    assert len(subgraphs.store.reference_calls) == 10


async def test_same_entity_type_at_two_paths_shares_one_request(
    executor: FederatedExecutor, subgraphs: Subgraphs
) -> None:
    result = await executor.execute(
        '{ a: match(id: "m1") { engagement { status } } b: match(id: "m11") { engagement { status } } }'
    )

    assert result == {
        "data": {"a": {"engagement": {"status": "PAUSED"}}, "b": {"engagement": {"status": "PAUSED"}}}
    }
    ((_, query, variables),) = subgraphs.entity_calls("scheduling")
    assert variables == {"_gw_r0": [{"__typename": "Engagement", "id": "e1"}]}
    assert query.count("_entities(") == 1


async def test_three_subgraphs_and_a_cycle_back_to_matching(
    executor: FederatedExecutor, subgraphs: Subgraphs
) -> None:
    result = await executor.execute(
        """{ match(id: "m2") { id engagement { status match { id score
             participant { id consents { purpose granted } } } } } }"""
    )

    assert result == {
        "data": {
            "match": {
                "id": "m2",
                "engagement": {
                    "status": "CLOSED",
                    "match": {
                        "id": "m2",
                        "score": 51.8,
                        "participant": {
                            "id": "p2",
                            "consents": [
                                {"purpose": "matching", "granted": True},
                                {"purpose": "analytics", "granted": True},
                            ],
                        },
                    },
                },
            }
        }
    }
    assert [c[0] for c in subgraphs.calls] == ["matching", "scheduling", "matching", "consent"]


async def test_nested_lists_of_entities(executor: FederatedExecutor, subgraphs: Subgraphs) -> None:
    result = await executor.execute("{ programs { name matches { id engagement { status } } } }")

    programs = result["data"]["programs"]
    assert [p["name"] for p in programs] == ["Leaders 2025", "Mentoring Circle"]
    assert programs[0]["matches"] == [
        {"id": "m0", "engagement": {"status": "ACTIVE"}},
        {"id": "m2", "engagement": {"status": "CLOSED"}},
        {"id": "m4", "engagement": {"status": "PAUSED"}},
        {"id": "m6", "engagement": {"status": "ACTIVE"}},
        {"id": "m8", "engagement": {"status": "CLOSED"}},
    ]
    assert programs[1]["matches"][0] == {"id": "m1", "engagement": {"status": "PAUSED"}}
    assert len(subgraphs.entity_calls("scheduling")) == 1


async def test_entities_referenced_from_a_list_inside_an_entity(
    executor: FederatedExecutor, subgraphs: Subgraphs
) -> None:
    result = await executor.execute(
        "{ engagements(status: CLOSED) { id match { score participant { consents { granted } } } } }"
    )

    assert result == {
        "data": {
            "engagements": [
                {"id": "e2", "match": {"score": 51.8, "participant": {"consents": [{"granted": True}] * 2}}},
                {
                    "id": "e5",
                    "match": {
                        "score": 54.5,
                        "participant": {"consents": [{"granted": True}, {"granted": False}]},
                    },
                },
                {
                    "id": "e8",
                    "match": {
                        "score": 57.2,
                        "participant": {"consents": [{"granted": True}, {"granted": False}]},
                    },
                },
            ]
        }
    }
    assert [c[0] for c in subgraphs.calls] == ["scheduling", "matching", "consent"]


async def test_root_fields_of_different_subgraphs_run_concurrently(supergraph: Supergraph) -> None:
    # Each subgraph waits until every other one has been called: sequential execution would time out.
    events = {"matching": asyncio.Event(), "scheduling": asyncio.Event(), "consent": asyncio.Event()}
    subgraphs = Subgraphs(before=lambda name: wait_for_all(events, name))
    executor = FederatedExecutor(supergraph, subgraphs.fetch)

    result = await executor.execute(
        '{ purposes match(id: "m0") { score } engagements(status: PAUSED) { id } }'
    )

    assert result == {
        "data": {
            "purposes": ["matching", "analytics"],
            "match": {"score": 50.0},
            "engagements": [{"id": "e1"}, {"id": "e4"}, {"id": "e7"}],
        }
    }
    assert sorted(c[0] for c in subgraphs.calls) == ["consent", "matching", "scheduling"]


async def test_entity_requests_of_one_wave_run_concurrently(supergraph: Supergraph) -> None:
    events = {"scheduling": asyncio.Event(), "consent": asyncio.Event()}

    async def hold(name: str) -> None:
        if name in events:
            await wait_for_all(events, name)

    subgraphs = Subgraphs(before=hold)
    executor = FederatedExecutor(supergraph, subgraphs.fetch)

    result = await executor.execute(
        '{ match(id: "m3") { engagement { status } participant { consents { purpose } } } }'
    )

    assert result == {
        "data": {
            "match": {
                "engagement": {"status": "ACTIVE"},
                "participant": {"consents": [{"purpose": "matching"}, {"purpose": "analytics"}]},
            }
        }
    }
    assert subgraphs.calls[0][0] == "matching"
    assert sorted(c[0] for c in subgraphs.calls[1:]) == ["consent", "scheduling"]


async def test_one_root_request_per_subgraph(executor: FederatedExecutor, subgraphs: Subgraphs) -> None:
    await executor.execute('{ a: match(id: "m1") { id } b: match(id: "m2") { id } programs { id } purposes }')

    assert sorted(c[0] for c in subgraphs.calls) == ["consent", "matching"]


async def test_subgraph_query_only_asks_for_what_the_subgraph_owns(
    executor: FederatedExecutor, subgraphs: Subgraphs
) -> None:
    await executor.execute('{ match(id: "m1") { score engagement { status } } }')

    matching_query = subgraphs.calls_to("matching")[0][1]
    assert matching_query == (
        'query { match(id: "m1") { _gw_t: __typename score engagement { _gw_t: __typename _gw_k_id: id } } }'
    )
    scheduling_query = subgraphs.calls_to("scheduling")[0][1]
    assert scheduling_query == (
        "query($_gw_r0: [_Any!]!) { _gw_e0: _entities(representations: $_gw_r0)"
        " { ... on Engagement { _gw_t: __typename status } } }"
    )
