"""Token issue rate: client-credentials `POST /oauth/token` (client_secret_basic) on the gateway.

Baseline in the same run: `GET /healthz` on the same gateway with the same client, concurrency and
duration, i.e. the rate the process answers a request that does no work. Each issue verifies the
client secret with scrypt (n=2^14, r=8, p=1) in a worker thread; that CPU cost caps the rate, and the
per-check time measured in this process is written to stderr.

    .venv/bin/python bench/gateway_token_issue.py [--seconds 8] [--concurrency 4]
"""

import argparse
import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _infra import bench_line, devstack

from tandem_gateway.oauth.domain import hash_secret, verify_secret

Send = Callable[[httpx.AsyncClient], Awaitable[httpx.Response]]


async def rate(http: httpx.AsyncClient, send: Send, seconds: float, concurrency: int) -> float:
    """Completed 200s per second over `seconds`, `concurrency` callers each sending back to back."""
    done = 0
    deadline = time.perf_counter() + seconds

    async def caller() -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            resp = await send(http)
            if resp.status_code != 200:
                raise SystemExit(f"HTTP {resp.status_code}: {resp.text[:300]}")
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(concurrency)))
    return done / (time.perf_counter() - started)


def issue_token(client: dict[str, str]) -> Send:
    auth = (client["client_id"], client["client_secret"])

    async def send(http: httpx.AsyncClient) -> httpx.Response:
        return await http.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=auth)

    return send


async def healthz(http: httpx.AsyncClient) -> httpx.Response:
    return await http.get("/healthz")


def scrypt_ms(rounds: int = 10) -> float:
    stored = hash_secret("benchmark-secret")
    started = time.perf_counter()
    for _ in range(rounds):
        verify_secret("benchmark-secret", stored)
    return (time.perf_counter() - started) * 1000 / rounds


async def measure(gateway_url: str, client: dict[str, str], seconds: float, concurrency: int) -> None:
    limits = httpx.Limits(max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=gateway_url, limits=limits, timeout=30.0) as http:
        issue = issue_token(client)
        await rate(http, issue, 1.0, concurrency)  # warm-up: keys loaded, connections open
        await rate(http, healthz, 1.0, concurrency)
        tokens = await rate(http, issue, seconds, concurrency)
        health = await rate(http, healthz, seconds, concurrency)
    print(bench_line("gateway_token_issue_rate", tokens, "tokens/s", "healthz_rate", health))
    check = scrypt_ms()
    print(
        f"note: one scrypt verify_secret takes {check:.1f} ms CPU here (at most {1000 / check:.0f}/s per core)",
        file=sys.stderr,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=8.0, help="measuring time per path (default 8)")
    parser.add_argument("--concurrency", type=int, default=4, help="concurrent callers (default 4)")
    args = parser.parse_args()
    with devstack() as (config, client):
        asyncio.run(measure(config.url("gateway"), client, args.seconds, args.concurrency))


if __name__ == "__main__":
    main()
