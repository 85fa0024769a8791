"""Per-request DataLoaders: one query per batch, and never two statements at once on one session."""

import asyncio
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

from tandem_kit.auth import Principal
from tandem_kit.graphql import keyed_loader, loader

PRINCIPAL = Principal(subject="c", client_id="c", scopes=frozenset(), token_id="t")


async def test_batches_of_different_loaders_take_turns_on_the_session() -> None:
    session = object()
    info: Any = SimpleNamespace(context={"session": session, "principal": PRINCIPAL, "loaders": {}})
    active: list[str] = []
    overlaps: list[tuple[str, ...]] = []
    batches: list[tuple[str, tuple[int, ...]]] = []

    def recorder(name: str):  # type: ignore[no-untyped-def]
        async def load(used: object, principal: Principal, keys: Sequence[int]) -> list[str]:
            assert used is session
            active.append(name)
            if len(active) > 1:
                overlaps.append(tuple(active))
            await asyncio.sleep(0)  # yield: the other loader's batch would run now without the lock
            batches.append((name, tuple(keys)))
            active.remove(name)
            return [f"{name}:{k}" for k in keys]

        return load

    a = loader(info, "a", recorder("a"))
    b = loader(info, "b", recorder("b"))
    results = await asyncio.gather(a.load(1), a.load(2), b.load(3), b.load(4), a.load(1))
    assert results == ["a:1", "a:2", "b:3", "b:4", "a:1"]
    assert overlaps == []
    assert sorted(batches) == [("a", (1, 2)), ("b", (3, 4))]
    assert loader(info, "a", recorder("a")) is a  # one loader per name per request


async def test_keyed_loader_answers_each_key_in_order_and_none_for_a_missing_one() -> None:
    info: Any = SimpleNamespace(context={"session": object(), "principal": PRINCIPAL, "loaders": {}})
    asked: list[tuple[int, ...]] = []

    async def fetch(session: object, principal: Principal, keys: Sequence[int]) -> dict[int, str]:
        asked.append(tuple(keys))
        return {k: f"row {k}" for k in keys if k != 2}  # answers by key, in its own order

    rows = keyed_loader(info, "rows", fetch)
    assert await asyncio.gather(rows.load(3), rows.load(2), rows.load(1)) == ["row 3", None, "row 1"]
    assert asked == [(3, 2, 1)]


def test_parse_id() -> None:
    from uuid import UUID

    from tandem_kit.graphql import parse_id

    assert parse_id("6f1c2f5e-2a53-4b8e-9a53-6f0d0c1b2a3e") == UUID("6f1c2f5e-2a53-4b8e-9a53-6f0d0c1b2a3e")
    assert parse_id("not-a-uuid") is None


def test_require_scope() -> None:
    import pytest

    from tandem_kit.errors import Forbidden
    from tandem_kit.graphql import require_scope

    reader = Principal(subject="c", client_id="c", scopes=frozenset({"x:read"}), token_id="t")
    info: Any = SimpleNamespace(context={"principal": reader})
    assert require_scope(info, "x:read") is reader
    with pytest.raises(Forbidden) as refused:
        require_scope(info, "x:write")
    assert refused.value.extensions["missing_scopes"] == ["x:write"]
