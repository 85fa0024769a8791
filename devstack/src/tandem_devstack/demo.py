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


async def run_slice(config: StackConfig, fakes: dict[str, str]) -> int:
    creds = json.loads((config.home / "dev-client.json").read_text())
    demo = Slice(config.url("gateway"), creds["client_id"], creds["client_secret"], fakes=fakes)
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


def running_fakes(config: StackConfig) -> dict[str, str]:
    """The calendar fakes and development IdP of a running `make run`, when they answer."""
    urls = {name: f"http://127.0.0.1:{port}" for name, port in config.fake_ports.items()}
    try:
        return {name: url for name, url in urls.items() if httpx.get(f"{url}/_fake/ready", timeout=1.0)}
    except httpx.HTTPError:
        return {}


def main() -> int:
    config = StackConfig.from_env()
    started: Stack | None = None
    if not stack_is_running(config):
        print("demo: no stack running; starting one (stopped again at the end)")
        started = Stack(config)
        started.start()
    try:
        # A stack started here knows its fakes; one already running (`make run`) has them on their ports.
        fakes = started.fakes if started is not None else running_fakes(config)
        return asyncio.run(run_slice(config, fakes))
    finally:
        if started is not None:
            started.stop()


if __name__ == "__main__":
    sys.exit(main())
