"""Gateway REST overhead: the same GETs through the gateway and straight to the owning service.

Two routes, `GET /api/v1/consent/purposes` and `GET /api/v1/matching/matches/{id}` (a match the program
slice created), each called N times per path after a warm-up, alternating gateway and direct call by
call so load drift on the machine hits both alike. Same token, one keep-alive httpx client per path,
sequential calls. Target: <= 1.5 ms added at p50.

    .venv/bin/python bench/gateway_rest_overhead.py [--calls 500]
"""

import argparse
import asyncio
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _infra import access_token, bench_line, devstack, percentile, seed

WARMUP = 50


async def timed_get(http: httpx.AsyncClient, url: str, headers: dict[str, str]) -> float:
    started = time.perf_counter()
    resp = await http.get(url, headers=headers)
    elapsed = (time.perf_counter() - started) * 1000
    if resp.status_code != 200:
        raise SystemExit(f"GET {url}: HTTP {resp.status_code}: {resp.text[:300]}")
    return elapsed


async def measure(gateway_url: str, service_urls: dict[str, str], client: dict[str, str], calls: int) -> None:
    state = await seed(gateway_url, client)
    paths = {
        "consent": "/api/v1/consent/purposes",
        "matching": f"/api/v1/matching/matches/{state.match['id']}",
    }
    limits = httpx.Limits(max_keepalive_connections=1)
    async with (
        httpx.AsyncClient(timeout=10.0) as token_http,
        httpx.AsyncClient(base_url=gateway_url, limits=limits, timeout=10.0) as via_gateway,
    ):
        headers = {"Authorization": f"Bearer {await access_token(token_http, gateway_url, client)}"}
        gateway_ms: list[float] = []
        direct_ms: list[float] = []
        for service, path in paths.items():
            async with httpx.AsyncClient(
                base_url=service_urls[service], limits=limits, timeout=10.0
            ) as direct:
                gateway_body = (await via_gateway.get(path, headers=headers)).json()
                direct_body = (await direct.get(path, headers=headers)).json()
                if gateway_body != direct_body:
                    raise SystemExit(f"{path}: the gateway and the service answered differently")
                for _ in range(WARMUP):
                    await timed_get(via_gateway, path, headers)
                    await timed_get(direct, path, headers)
                for i in range(calls):
                    # Alternate which goes first so neither always follows the other.
                    if i % 2:
                        gateway_ms.append(await timed_get(via_gateway, path, headers))
                        direct_ms.append(await timed_get(direct, path, headers))
                    else:
                        direct_ms.append(await timed_get(direct, path, headers))
                        gateway_ms.append(await timed_get(via_gateway, path, headers))
    g50, d50 = percentile(gateway_ms, 50), percentile(direct_ms, 50)
    g99, d99 = percentile(gateway_ms, 99), percentile(direct_ms, 99)
    print(bench_line("gateway_rest_p50", g50, "ms", "direct_p50", d50))
    print(bench_line("gateway_rest_p99", g99, "ms", "direct_p99", d99))
    print(bench_line("gateway_rest_added_p50", g50 - d50, "ms", "direct_p50", d50))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--calls", type=int, default=500, help="calls per route per path (default 500)")
    args = parser.parse_args()
    with devstack() as (config, client):
        services = {name: config.url(name) for name in ("consent", "matching")}
        asyncio.run(measure(config.url("gateway"), services, client, args.calls))


if __name__ == "__main__":
    main()
