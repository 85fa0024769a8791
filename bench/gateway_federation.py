"""A federated query through the gateway's `/graphql` against the same subgraph calls made directly.

Queries joining matching with consent and scheduling, on the data the program slice created:
`match(id)` (one match) and `matches(programId)` (the cohort's five, their participants' consents and
engagements batched into one `_entities` request per subgraph). The direct baseline replays exactly the
subgraph requests the executor sends (captured once by running the gateway's own `FederatedExecutor`
over a recording fetch): matching's `/graphql` first, then the `_entities` requests one after another,
as a client without the gateway would have to. Same token, keep-alive httpx clients, sequential calls,
gateway and direct alternated call by call. Target: gateway p50 <= 1.3x the direct p50.

    .venv/bin/python bench/gateway_federation.py [--calls 200]
"""

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _infra import access_token, bench_line, devstack, percentile, seed

from tandem_gateway.federation import FederatedExecutor, compose

SUBGRAPHS = ("matching", "scheduling", "consent", "analytics")
WARMUP = 30

MATCH = """
query Match($id: ID!) {
  match(id: $id) {
    id
    score
    participant { id consents { purpose granted } }
    engagement { id status sessions { id startsAt } }
  }
}"""

MATCHES = """
query Matches($programId: ID!) {
  matches(programId: $programId) {
    items {
      id
      score
      participant { id consents { purpose granted } }
      engagement { id status sessions { id startsAt } }
    }
  }
}"""

Call = tuple[str, dict[str, Any]]  # (subgraph, JSON body)


def ok(resp: httpx.Response, what: str) -> dict[str, Any]:
    body: dict[str, Any] = resp.json() if resp.status_code == 200 else {}
    if resp.status_code != 200 or body.get("errors"):
        raise SystemExit(f"{what}: HTTP {resp.status_code}: {resp.text[:400]}")
    return body


async def subgraph_calls(
    direct: dict[str, httpx.AsyncClient], headers: dict[str, str], query: str, variables: dict[str, Any]
) -> tuple[list[Call], dict[str, Any]]:
    """The subgraph requests the gateway's executor makes for this operation, and its answer."""
    sdls = {}
    for name in SUBGRAPHS:
        resp = await direct[name].post("/graphql", json={"query": "{ _service { sdl } }"}, headers=headers)
        sdls[name] = ok(resp, f"{name} SDL")["data"]["_service"]["sdl"]
    calls: list[Call] = []

    async def recording_fetch(subgraph: str, text: str, values: dict[str, Any] | None) -> dict[str, Any]:
        body: dict[str, Any] = {"query": text} | ({"variables": values} if values else {})
        calls.append((subgraph, body))
        return ok(await direct[subgraph].post("/graphql", json=body, headers=headers), subgraph)

    answer = await FederatedExecutor(compose(sdls), recording_fetch).execute(query, variables)
    if answer.get("errors"):
        raise SystemExit(f"local executor: {answer['errors']}")
    return calls, answer


async def through_gateway(
    http: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any]
) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    resp = await http.post("/graphql", json=body, headers=headers)
    elapsed = (time.perf_counter() - started) * 1000
    return elapsed, ok(resp, "gateway /graphql")


async def directly(direct: dict[str, httpx.AsyncClient], headers: dict[str, str], calls: list[Call]) -> float:
    started = time.perf_counter()
    for subgraph, body in calls:
        resp = await direct[subgraph].post("/graphql", json=body, headers=headers)
        if resp.status_code != 200:
            raise SystemExit(f"{subgraph}: HTTP {resp.status_code}: {resp.text[:300]}")
        resp.json()  # a client decodes every answer before it can send the next request
    return (time.perf_counter() - started) * 1000


async def measure(urls: dict[str, str], client: dict[str, str], calls: int) -> None:
    state = await seed(urls["gateway"], client)
    operations = {
        "match": (MATCH, {"id": state.match["id"]}),
        "matches": (MATCHES, {"programId": state.program_id}),
    }
    limits = httpx.Limits(max_keepalive_connections=1)
    direct = {n: httpx.AsyncClient(base_url=urls[n], limits=limits, timeout=10.0) for n in SUBGRAPHS}
    gateway = httpx.AsyncClient(base_url=urls["gateway"], limits=limits, timeout=10.0)
    lines = []
    try:
        headers = {"Authorization": f"Bearer {await access_token(gateway, urls['gateway'], client)}"}
        for name, (query, variables) in operations.items():
            plan, expected = await subgraph_calls(direct, headers, query, variables)
            body = {"query": query, "variables": variables}
            _, answer = await through_gateway(gateway, headers, body)
            if answer != expected:
                raise SystemExit(f"{name}: the gateway's answer differs from the executor run locally")
            if name == "matches" and len(answer["data"]["matches"]["items"]) < 2:
                raise SystemExit("matches: the slice should have created a cohort of matches")
            for _ in range(WARMUP):
                await through_gateway(gateway, headers, body)
                await directly(direct, headers, plan)
            gateway_ms: list[float] = []
            direct_ms: list[float] = []
            for i in range(calls):
                if i % 2:
                    gateway_ms.append((await through_gateway(gateway, headers, body))[0])
                    direct_ms.append(await directly(direct, headers, plan))
                else:
                    direct_ms.append(await directly(direct, headers, plan))
                    gateway_ms.append((await through_gateway(gateway, headers, body))[0])
            route = "+".join(dict.fromkeys(s for s, _ in plan))
            lines.append(
                bench_line(
                    f"gateway_federation_{name}_p50",
                    percentile(gateway_ms, 50),
                    "ms",
                    f"direct_{len(plan)}_calls_{route}_p50",
                    percentile(direct_ms, 50),
                )
            )
            lines.append(
                bench_line(
                    f"gateway_federation_{name}_p99",
                    percentile(gateway_ms, 99),
                    "ms",
                    f"direct_{len(plan)}_calls_{route}_p99",
                    percentile(direct_ms, 99),
                )
            )
    finally:
        await gateway.aclose()
        for http in direct.values():
            await http.aclose()
    print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--calls", type=int, default=200, help="calls per query per path (default 200)")
    args = parser.parse_args()
    with devstack() as (config, client):
        urls = {name: config.url(name) for name in ("gateway", *SUBGRAPHS)}
        asyncio.run(measure(urls, client, args.calls))


if __name__ == "__main__":
    main()
