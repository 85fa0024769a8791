"""Gateway REST overhead: the same GETs through the gateway and straight to the owning service.

Two routes, `GET /api/v1/consent/purposes` and `GET /api/v1/matching/matches/{id}` (a match the program
slice created), each called N times per path after a warm-up, alternating gateway and direct call by
call so load drift on the machine hits both alike. Same token, one keep-alive httpx client per path,
sequential calls. Target: <= 1.5 ms added at p50.

With `--user-token` the gateway trusts a fake IdP (GATEWAY_USER_TOKEN_ISSUERS, JWKS served here) and
each round also times the gateway with a program manager's IdP token (swapped for a cached Tandem
token at the edge); the machine-token figures then show the cost of the feature being on.

    .venv/bin/python bench/gateway_rest_overhead.py [--calls 500] [--user-token]
"""

import argparse
import asyncio
import contextlib
import json
import os
import sys
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _infra import access_token, bench_line, devstack, percentile, seed

from tandem_gateway.testing import FakeIdp, serve
from tandem_kit.embedded import free_port

WARMUP = 50


async def timed_get(http: httpx.AsyncClient, url: str, headers: dict[str, str]) -> float:
    started = time.perf_counter()
    resp = await http.get(url, headers=headers)
    elapsed = (time.perf_counter() - started) * 1000
    if resp.status_code != 200:
        raise SystemExit(f"GET {url}: HTTP {resp.status_code}: {resp.text[:300]}")
    return elapsed


async def measure(
    gateway_url: str,
    service_urls: dict[str, str],
    client: dict[str, str],
    calls: int,
    idp: tuple[FakeIdp, int] | None = None,
) -> None:
    async with contextlib.AsyncExitStack() as stack:
        user_headers = None
        if idp is not None:
            await stack.enter_async_context(serve(idp[0].app, port=idp[1]))
            user_token = idp[0].token(str(uuid.uuid4()), ["tandem-program-managers"])
            user_headers = {"Authorization": f"Bearer {user_token}"}
        await _measure(gateway_url, service_urls, client, calls, user_headers)


async def _measure(
    gateway_url: str,
    service_urls: dict[str, str],
    client: dict[str, str],
    calls: int,
    user_headers: dict[str, str] | None,
) -> None:
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
        user_ms: list[float] = []
        for service, path in paths.items():
            async with httpx.AsyncClient(
                base_url=service_urls[service], limits=limits, timeout=10.0
            ) as direct:
                gateway_body = (await via_gateway.get(path, headers=headers)).json()
                direct_body = (await direct.get(path, headers=headers)).json()
                if gateway_body != direct_body:
                    raise SystemExit(f"{path}: the gateway and the service answered differently")
                if user_headers is not None:
                    if (await via_gateway.get(path, headers=user_headers)).json() != direct_body:
                        raise SystemExit(f"{path}: the program manager's IdP token saw something else")
                for _ in range(WARMUP):
                    await timed_get(via_gateway, path, headers)
                    await timed_get(direct, path, headers)
                    if user_headers is not None:
                        await timed_get(via_gateway, path, user_headers)
                for i in range(calls):
                    if user_headers is not None:
                        user_ms.append(await timed_get(via_gateway, path, user_headers))
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
    if user_ms:
        u50, u99 = percentile(user_ms, 50), percentile(user_ms, 99)
        print(bench_line("gateway_rest_user_token_p50", u50, "ms", "machine_token_p50", g50))
        print(bench_line("gateway_rest_user_token_p99", u99, "ms", "machine_token_p99", g99))
        print(bench_line("gateway_rest_user_token_added_p50", u50 - d50, "ms", "direct_p50", d50))


def trust_fake_idp() -> tuple[FakeIdp, int]:
    """A fake IdP the gateway trusts (program managers read everything); its JWKS is served by measure."""
    idp, port = FakeIdp(), free_port()
    os.environ["GATEWAY_USER_TOKEN_ISSUERS"] = json.dumps(
        [
            {
                "issuer": idp.issuer,
                "jwks_url": f"http://127.0.0.1:{port}/keys",
                "audience": idp.audience,
                "role_map": {"tandem-program-managers": "program_manager"},
                "scopes_by_role": {"program_manager": ["consent:read", "matching:read"]},
            }
        ]
    )
    return idp, port


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--calls", type=int, default=500, help="calls per route per path (default 500)")
    parser.add_argument(
        "--user-token", action="store_true", help="trust a fake IdP and also time a user token (see above)"
    )
    args = parser.parse_args()
    idp = trust_fake_idp() if args.user_token else None
    with devstack() as (config, client):
        services = {name: config.url(name) for name in ("consent", "matching")}
        asyncio.run(measure(config.url("gateway"), services, client, args.calls, idp))


if __name__ == "__main__":
    main()
