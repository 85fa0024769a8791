"""Shared by the benchmarks: a throwaway embedded PostgreSQL and NATS, stopped on exit."""

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

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
