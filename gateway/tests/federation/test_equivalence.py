"""Property: for any selection of match and engagement fields (with any aliases), the federated answer
equals the hand join of what matching and scheduling answer directly."""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tandem_gateway.federation import FederatedExecutor, Supergraph

from .conftest import Subgraphs, direct, make_store

MATCH_FIELDS = ["id", "score", "participantId", "__typename"]
ENGAGEMENT_FIELDS = ["id", "status", "riskNote", "sessions { id durationMinutes }", "__typename"]

aliases = st.one_of(st.none(), st.sampled_from(["a", "b", "c"]))


def field_list(names: list[str]) -> st.SearchStrategy[list[tuple[str | None, str]]]:
    return st.lists(st.tuples(aliases, st.sampled_from(names)), min_size=1, max_size=4).filter(
        lambda fields: len({alias or name.split()[0] for alias, name in fields}) == len(fields)
    )


def render(fields: list[tuple[str | None, str]]) -> str:
    return " ".join(f"{alias}: {name}" if alias else name for alias, name in fields)


def pick(row: dict[str, Any], fields: list[tuple[str | None, str]], typename: str) -> dict[str, Any]:
    out = {}
    for alias, name in fields:
        base = name.split()[0]
        out[alias or base] = typename if base == "__typename" else row[base]
    return out


@settings(max_examples=30, deadline=None)
@given(
    match_fields=field_list(MATCH_FIELDS),
    engagement_fields=field_list(ENGAGEMENT_FIELDS),
    engagement_alias=aliases,
    first=st.integers(min_value=0, max_value=12),
)
def test_federated_equals_hand_join(
    supergraph: Supergraph,
    match_fields: list[tuple[str | None, str]],
    engagement_fields: list[tuple[str | None, str]],
    engagement_alias: str | None,
    first: int,
) -> None:
    engagement_key = engagement_alias or "engagement"
    if any((alias or name.split()[0]) == engagement_key for alias, name in match_fields):
        return  # the two would collide on one response key: a validation error, not this property
    head = f"{engagement_alias}: engagement" if engagement_alias else "engagement"
    query = (
        f"{{ matches(first: {first}) {{ {render(match_fields)} {head} {{ {render(engagement_fields)} }} }} }}"
    )

    async def scenario() -> tuple[dict[str, Any], dict[str, Any], list[str]]:
        subgraphs = Subgraphs()
        result = await FederatedExecutor(supergraph, subgraphs.fetch).execute(query)
        store = make_store()
        matches = await direct(
            "matching",
            f"{{ matches(first: {first}) {{ id score participantId engagement {{ id }} }} }}",
            store=store,
        )
        engagements = await direct(
            "scheduling",
            "{ engagements { id status riskNote sessions { id durationMinutes } } }",
            store=store,
        )
        by_id = {e["id"]: e for e in engagements["data"]["engagements"]}
        expected = [
            {
                **pick(m, match_fields, "Match"),
                engagement_key: None
                if m["engagement"] is None
                else pick(by_id[m["engagement"]["id"]], engagement_fields, "Engagement"),
            }
            for m in matches["data"]["matches"]
        ]
        return result, {"matches": expected}, [c[0] for c in subgraphs.calls]

    result, expected, calls = asyncio.run(scenario())

    assert result["data"] == expected
    needs_scheduling = first > 0 and any(name not in ("id", "__typename") for _, name in engagement_fields)
    assert calls == (["matching", "scheduling"] if needs_scheduling else ["matching"])
    expected_paths = sorted(
        ["matches", i, engagement_key, alias or "riskNote"]
        for i, match in enumerate(expected["matches"])
        if match[engagement_key] is not None and f"m{i}" in {"m3", "m13"}
        for alias, name in engagement_fields
        if name == "riskNote"
    )
    assert sorted(e["path"] for e in result.get("errors", [])) == expected_paths
