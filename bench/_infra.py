"""Shared by the benchmarks: a throwaway embedded PostgreSQL and NATS, stopped on exit."""

import contextlib
import math
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx

from tandem_devstack.slice import Slice, SliceState
from tandem_devstack.stack import PARTS, Stack, StackConfig
from tandem_kit.embedded import EmbeddedNats, EmbeddedPostgres, free_port
from tandem_kit.migrations import upgrade_head

REPO = Path(__file__).resolve().parents[1]


def bench_line(name: str, value: float, unit: str, baseline: str, base_value: float) -> str:
    ratio = value / base_value if base_value else float("inf")
    return f"bench: {name} {value:.2f} {unit} baseline={baseline}:{base_value:.2f} ratio={ratio:.3f}"


@contextlib.contextmanager
def infra(service: str = "consent") -> Iterator[tuple[str, str]]:
    """(database url migrated with `service`'s tree, nats url)."""
    with tempfile.TemporaryDirectory(prefix="tandem-bench-") as tmp:
        pg = EmbeddedPostgres(Path(tmp) / "pg", free_port())
        nats = EmbeddedNats(Path(tmp) / "nats", free_port())
        pg.start()
        nats.start()
        try:
            pg.ensure_database("bench")
            url = pg.url("bench")
            upgrade_head(REPO / "services" / service, url)
            yield url, nats.url
        finally:
            nats.stop()
            pg.stop()


# -- the whole local stack, for the gateway benchmarks ------------------------------------------


@contextlib.contextmanager
def devstack() -> Iterator[tuple[StackConfig, dict[str, str]]]:
    """The five parts on free ports over a fast embedded PostgreSQL: (config, dev client credentials)."""
    with tempfile.TemporaryDirectory(prefix="tandem-bench-stack-") as tmp:
        config = StackConfig(
            home=Path(tmp),
            ports={p.name: free_port() for p in PARTS},
            postgres_port=free_port(),
            nats_port=free_port(),
            fast_postgres=True,
        )
        stack = Stack(config)
        stack.start()  # stops what it started if it fails
        try:
            yield config, stack.clients["dev"]
        finally:
            stack.stop()


async def seed(gateway_url: str, client: dict[str, str]) -> SliceState:
    """Run the program slice through the gateway: program, matches, engagement, session, consents."""
    program = Slice(gateway_url, client["client_id"], client["client_secret"])
    try:
        for _, step in program.steps():
            await step()
    finally:
        await program.aclose()
    return program.state


async def access_token(http: httpx.AsyncClient, gateway_url: str, client: dict[str, str]) -> str:
    resp = await http.post(
        f"{gateway_url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(client["client_id"], client["client_secret"]),
    )
    resp.raise_for_status()
    return str(resp.json()["access_token"])


def percentile(samples: Sequence[float], q: float) -> float:
    """Nearest-rank percentile, q in [0, 100]."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]
