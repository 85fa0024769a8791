"""`make demo`: run the program slice against a running stack, starting one if none answers."""

import asyncio
import json
import sys

import httpx

from tandem_devstack.slice import Slice, StepFailed
from tandem_devstack.stack import Stack, StackConfig


def stack_is_running(config: StackConfig) -> bool:
    try:
        return httpx.get(f"{config.url('gateway')}/readyz", timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False


async def run_slice(config: StackConfig) -> int:
    creds = json.loads((config.home / "dev-client.json").read_text())
    demo = Slice(config.url("gateway"), creds["client_id"], creds["client_secret"])
    failed = 0
    try:
        for number, (part, step) in enumerate(demo.steps(), start=1):
            try:
                said = await step()
            except StepFailed as exc:
                print(f"{number:>2}. [{part}] FAILED: {exc}")
                failed += 1
                break
            print(f"{number:>2}. [{part}] {said}")
    finally:
        await demo.aclose()
    print("demo: every step behaved as expected" if not failed else "demo: a step failed (see above)")
    return 1 if failed else 0


def main() -> int:
    config = StackConfig.from_env()
    started: Stack | None = None
    if not stack_is_running(config):
        print("demo: no stack running; starting one (stopped again at the end)")
        started = Stack(config)
        started.start()
    try:
        return asyncio.run(run_slice(config))
    finally:
        if started is not None:
            started.stop()


if __name__ == "__main__":
    sys.exit(main())
