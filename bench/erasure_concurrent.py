"""Erasure of many people at once: from opening the request to the last service's receipt.

The local stack on free ports; the program slice gives a program, then every person grants consent
and submits an intake (data in consent and matching; scheduling and analytics answer "nothing held",
through the same consumer and receipt path). Baseline: one erasure alone, the median of three, same
run. Then `--people` erasures opened at the same moment. Times are consent's own (`created_at` to
`completed_at`), so polling adds nothing. On stderr: when each service's receipts arrived, which shows
whether a service answers the requests one after another. Target: <= 2 s p99 at 30.

    .venv/bin/python bench/erasure_concurrent.py [--people 30]
"""

import argparse
import asyncio
import itertools
import statistics
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _infra import bench_line, devstack, percentile, seed

from tandem_devstack.slice import DSR, Slice, SliceState, expect_status

ALONE = 3


async def person_with_data(gateway_url: str, client: dict[str, str], program_id: str) -> str:
    flow = Slice(gateway_url, client["client_id"], client["client_secret"])
    try:
        flow.state = SliceState(program_id=program_id)
        await flow.consent_granted()
        await flow.intake_submitted()
        return flow.state.participant_id
    finally:
        await flow.aclose()


async def erase(flow: Slice, people: list[str]) -> list[dict[str, Any]]:
    """Open one erasure per person at once; every request once it completed."""
    opened = await asyncio.gather(
        *(flow.call("POST", DSR, json={"person_id": p, "kind": "erasure"}) for p in people)
    )
    ids = {expect_status(resp, 201, "erasure request")["id"] for resp in opened}

    # One list call per poll, not one call per request: polling must not load consent itself.
    async def all_completed() -> bool:
        still = expect_status(
            await flow.call("GET", DSR, params={"status": "open", "limit": 500}), 200, "open requests"
        )
        return not ids & {r["id"] for r in still["items"]}

    await flow.eventually(all_completed, "every erasure answered", 120)
    return [expect_status(await flow.call("GET", f"{DSR}/{i}"), 200, "request") for i in ids]


def seconds(request: dict[str, Any]) -> float:
    opened = datetime.fromisoformat(request["created_at"])
    return (datetime.fromisoformat(request["completed_at"]) - opened).total_seconds()


def profile(requests: list[dict[str, Any]]) -> None:
    start = min(datetime.fromisoformat(r["created_at"]) for r in requests)
    by_service: dict[str, list[float]] = {}
    for r in requests:
        for receipt in r["receipts"]:
            at = (datetime.fromisoformat(receipt["received_at"]) - start).total_seconds()
            by_service.setdefault(receipt["service"], []).append(at)
    for service, times in sorted(by_service.items()):
        times.sort()
        gaps = [b - a for a, b in itertools.pairwise(times)] or [0.0]
        print(
            f"  {service}: receipts from +{times[0]:.2f} s to +{times[-1]:.2f} s, "
            f"median gap {statistics.median(gaps) * 1000:.0f} ms",
            file=sys.stderr,
        )


async def measure(gateway_url: str, client: dict[str, str], count: int) -> None:
    state = await seed(gateway_url, client)
    people = [await person_with_data(gateway_url, client, state.program_id) for _ in range(count + ALONE)]
    flow = Slice(gateway_url, client["client_id"], client["client_secret"])
    try:
        alone = [seconds((await erase(flow, [p]))[0]) for p in people[:ALONE]]
        crowd = await erase(flow, people[ALONE:])
    finally:
        await flow.aclose()
    base = statistics.median(alone)
    times = [seconds(r) for r in crowd]
    print(f"alone: {', '.join(f'{t:.2f}' for t in alone)} s; {count} at once:", file=sys.stderr)
    profile(crowd)
    name = f"erasure_{count}_concurrent"
    print(bench_line(f"{name}_p50", percentile(times, 50), "s", "erasure_alone", base))
    print(bench_line(f"{name}_p99", percentile(times, 99), "s", "erasure_alone", base))
    print(bench_line(f"{name}_max", max(times), "s", "erasure_alone", base))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--people", type=int, default=30, help="erasures opened at once (default 30)")
    args = parser.parse_args()
    with devstack() as (config, client):
        asyncio.run(measure(config.url("gateway"), client, args.people))


if __name__ == "__main__":
    main()
