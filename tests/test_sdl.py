"""Each subgraph's committed SDL (services/<svc>/schema.graphql) is exactly the live schema's SDL."""

import importlib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SERVICES = ["matching", "scheduling", "consent", "analytics"]


@pytest.mark.parametrize("service", [*SERVICES, "gateway"])
def test_committed_sdl_is_current(service: str) -> None:
    schema = importlib.import_module(f"tandem_{service}.graphql").schema
    committed = REPO / ("gateway" if service == "gateway" else f"services/{service}") / "schema.graphql"
    assert committed.exists(), f"export it: make sdl ({committed} missing)"
    assert committed.read_text() == schema.as_str() + "\n", f"{committed} is stale: run `make sdl` and commit"
