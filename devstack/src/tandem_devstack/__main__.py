"""`python -m tandem_devstack run`: the whole stack in the foreground (what `make run` calls)."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from types import FrameType

from tandem_devstack.stack import PARTS, Stack, StackConfig
from tandem_kit.embedded import InfraError


def run() -> int:
    config = StackConfig.from_env()
    stack = Stack(config)
    stopping = False

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        elapsed = stack.start()
    except InfraError as exc:
        print(f"tandem: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        print(f"tandem: start-up failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(f"tandem: ready in {elapsed:.1f}s")
    for part in PARTS:
        print(f"  {part.name:<11} {config.url(part.name)}")
    if stack.postgres is not None:
        print(f"  postgres    127.0.0.1:{stack.postgres.port} (data in {stack.postgres.datadir})")
    if stack.nats is not None:
        print(f"  nats        {stack.nats.url}")
    print(f"  GraphQL     {config.url('gateway')}/graphql")
    print(f"  API docs    {config.url('gateway')}/docs")
    print(f"  dev client  {config.home / 'dev-client.json'}")
    print("Ctrl-C stops everything.", flush=True)
    code = 0
    while not stopping:
        try:
            for line in stack.restart_dead_infra():
                print(f"tandem: {line}", file=sys.stderr, flush=True)
        except InfraError as exc:
            print(f"tandem: {exc}; stopping", file=sys.stderr, flush=True)
            code = 1
            break
        dead = stack.first_exited()
        if dead is not None:
            print(
                f"tandem: {dead} exited unexpectedly (log: {stack.logs / (dead + '.log')}); stopping",
                file=sys.stderr,
            )
            code = 1
            break
        time.sleep(0.2)
    print("tandem: stopping", flush=True)
    stack.stop()
    return code


def export_sdl() -> int:
    """Write every subgraph's SDL to services/<svc>/schema.graphql and gateway/schema.graphql (the
    gateway's own subgraph), checked by tests/test_sdl.py."""
    import importlib

    from tandem_devstack.stack import REPO

    for part in PARTS:
        schema = importlib.import_module(f"tandem_{part.name}.graphql").schema
        folder = REPO / "gateway" if part.name == "gateway" else REPO / "services" / part.name
        target = folder / "schema.graphql"
        target.write_text(schema.as_str() + "\n")
        print(f"wrote {target.relative_to(REPO)}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(prog="tandem_devstack")
    parser.add_argument("command", choices=["run", "sdl", "route-scopes", "demo"])
    args = parser.parse_args()
    if args.command == "sdl":
        return export_sdl()
    if args.command == "route-scopes":
        from tandem_devstack.route_scopes import export

        return export()
    if args.command == "demo":
        from tandem_devstack.demo import main as demo

        return demo()
    return run()


if __name__ == "__main__":
    sys.exit(main())
