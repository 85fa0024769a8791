"""Gateway read mix under load: 50 concurrent clients through the gateway, and the same mix sent
straight to the services, in the same run.

The mix is six GETs over the four services on what the program slice created (purposes, a person's
consents, a match, a program's matches, an engagement's sessions, the vendors), each client picking
the next path in turn. Each client has its own keep-alive connections and one token. Phases
alternate (direct, gateway, direct, gateway; `--seconds` each) so load drift hits both sides.

    .venv/bin/python bench/gateway_read_mix.py [--clients 50] [--seconds 10]
"""

import argparse
import asyncio
import ssl
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _infra import access_token, bench_line, devstack, percentile, seed

from tandem_devstack.slice import SliceState


def read_mix(state: SliceState) -> list[tuple[str, str]]:
    """(service, path) pairs; the slice's ids make every call a real read of real rows."""
    program, match = state.program_id, state.match["id"]
    engagement, person = state.engagement["id"], state.participant_id
    return [
        ("consent", "/api/v1/consent/purposes"),
        ("consent", f"/api/v1/consent/people/{person}/consents"),
        ("matching", f"/api/v1/matching/matches/{match}"),
        ("matching", f"/api/v1/matching/programs/{program}/matches"),
        ("scheduling", f"/api/v1/scheduling/engagements/{engagement}/sessions"),
        ("analytics", "/api/v1/analytics/vendors"),
    ]


def make_clients(count: int, headers: dict[str, str]) -> list[httpx.AsyncClient]:
    """Made once and kept across phases: building an httpx client loads CA certificates (tens of ms
    of CPU each), which inside a phase would be measured as latency. One kept-alive connection per
    host and client (the direct mix talks to four hosts)."""
    shared_tls = ssl.create_default_context()
    limits = httpx.Limits(max_connections=4, max_keepalive_connections=4)
    return [
        httpx.AsyncClient(limits=limits, timeout=30.0, headers=headers, verify=shared_tls)
        for _ in range(count)
    ]


async def phase(
    bases: dict[str, str], mix: list[tuple[str, str]], clients: list[httpx.AsyncClient], seconds: float
) -> tuple[int, list[float], int]:
    """(completed calls, latencies in ms, failures) for concurrent `clients` over `seconds`."""
    latencies: list[float] = []
    per_path: dict[str, list[float]] = {path: [] for _, path in mix}
    failures = 0
    deadline = time.perf_counter() + seconds

    async def client(n: int, http: httpx.AsyncClient) -> None:
        nonlocal failures
        i = n
        while time.perf_counter() < deadline:
            service, path = mix[i % len(mix)]
            i += 1
            started = time.perf_counter()
            response = await http.get(bases[service] + path)
            if response.status_code != 200:
                failures += 1
                continue
            latencies.append((time.perf_counter() - started) * 1000)
            per_path[path].append(latencies[-1])

    await asyncio.gather(*(client(n, http) for n, http in enumerate(clients)))
    for path, samples in per_path.items():
        if samples:
            print(
                f"  {path[:60]:<60} p50 {percentile(samples, 50):8.1f} ms  n={len(samples)}", file=sys.stderr
            )
    return len(latencies), latencies, failures


async def measure(
    gateway_url: str, service_urls: dict[str, str], client: dict[str, str], args: argparse.Namespace
) -> None:
    state = await seed(gateway_url, client)
    mix = read_mix(state)
    through = dict.fromkeys(service_urls, gateway_url)
    async with httpx.AsyncClient(timeout=30.0) as http:
        headers = {"Authorization": f"Bearer {await access_token(http, gateway_url, client)}"}
        for service, path in mix:
            via, direct = (
                await http.get(gateway_url + path, headers=headers),
                await http.get(service_urls[service] + path, headers=headers),
            )
            if via.status_code != 200 or via.json() != direct.json():
                raise SystemExit(
                    f"{path}: gateway {via.status_code} vs direct {direct.status_code}: {via.text[:200]}"
                )
    clients = make_clients(args.clients, headers)
    # Warm-up: connections, caches.
    await phase(service_urls, mix, clients, 2.0)
    await phase(through, mix, clients, 2.0)
    results: dict[str, list[tuple[int, list[float], int]]] = {"direct": [], "gateway": []}
    for _ in range(2):
        results["direct"].append(await phase(service_urls, mix, clients, args.seconds))
        results["gateway"].append(await phase(through, mix, clients, args.seconds))
    for http in clients:
        await http.aclose()
    summary = {}
    for name, runs in results.items():
        calls = sum(r[0] for r in runs)
        latencies = [ms for r in runs for ms in r[1]]
        failures = sum(r[2] for r in runs)
        summary[name] = (
            calls / (len(runs) * args.seconds),
            percentile(latencies, 50),
            percentile(latencies, 99),
        )
        print(f"{name}: {calls} calls, {failures} failed", file=sys.stderr)
    g, d = summary["gateway"], summary["direct"]
    print(bench_line("gateway_read_mix_throughput", g[0], "req/s", "direct_read_mix_throughput", d[0]))
    print(bench_line("gateway_read_mix_p50", g[1], "ms", "direct_read_mix_p50", d[1]))
    print(bench_line("gateway_read_mix_p99", g[2], "ms", "direct_read_mix_p99", d[2]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (default 50)")
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds per phase (default 10)")
    args = parser.parse_args()
    with devstack() as (config, client):
        services = {name: config.url(name) for name in ("consent", "matching", "scheduling", "analytics")}
        asyncio.run(measure(config.url("gateway"), services, client, args))


if __name__ == "__main__":
    main()
