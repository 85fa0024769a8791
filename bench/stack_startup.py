"""`make run` start-up: seconds from nothing to every part's /readyz answering 200 (target <= 15 s warm),
against the floor of starting only the embedded PostgreSQL and NATS in the same run.

    .venv/bin/python bench/stack_startup.py
"""

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _infra import bench_line

from tandem_devstack.stack import PARTS, Stack, StackConfig
from tandem_kit.embedded import EmbeddedNats, EmbeddedPostgres, free_port


def config(home: Path) -> StackConfig:
    return StackConfig(
        home=home,
        ports={p.name: free_port() for p in PARTS},
        postgres_port=free_port(),
        nats_port=free_port(),
    )


def infra_floor(home: Path) -> float:
    started = time.perf_counter()
    pg = EmbeddedPostgres(home / "postgres", free_port())
    nats = EmbeddedNats(home / "nats", free_port())
    pg.start()
    nats.start()
    elapsed = time.perf_counter() - started
    nats.stop()
    pg.stop()
    return elapsed


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="tandem-startup-") as tmp:
        home = Path(tmp)
        cold = Stack(config(home))
        cold_s = cold.start()  # first start: initdb, migrations, client bootstrap
        cold.stop()
        warm = Stack(config(home))
        warm_s = warm.start()  # what `make run` costs on a machine that ran it before
        warm.stop()
        floor = infra_floor(home)
    print(bench_line("make_run_ready_cold", cold_s, "s", "postgres_nats_only", floor))
    print(bench_line("make_run_ready_warm", warm_s, "s", "postgres_nats_only", floor))


if __name__ == "__main__":
    main()
