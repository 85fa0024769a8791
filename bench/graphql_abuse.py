"""How long one abusive GraphQL request stops a part's event loop, at the gateway and at a subgraph.

The stack runs as `make run` runs it (five processes). While one request is in flight, a probe sends
`GET /healthz` to the same process back to back; the longest probe round trip is how long that
process could not answer anything else (the event loop was blocked). Baseline: the same probe around
a small, normal query (`{ __typename }`) in the same run. Each abusive request is one client's one
request: a large document, a deep one, many aliases, a fragment grid and chain, deeply nested JSON.

    .venv/bin/python bench/graphql_abuse.py [--repeat 3]
"""

import argparse
import asyncio
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _infra import access_token, bench_line, devstack

TARGETS = ("gateway", "consent")


def grid(n: int) -> str:
    """n fragments of n `__typename` each, all spread on the root: n*n same-named fields to compare."""
    fragments = " ".join(f"fragment F{i} on Query {{ {' '.join(['__typename'] * n)} }}" for i in range(n))
    return "{ " + " ".join(f"...F{i}" for i in range(n)) + " } " + fragments


def chain(n: int) -> str:
    """`{ ...F0 } fragment F0 on Query { ...F1 } ... fragment Fn on Query { __typename }`."""
    fragments = [f"fragment F{i} on Query {{ ...F{i + 1} }}" for i in range(n)]
    return "{ ...F0 } " + " ".join([*fragments, f"fragment F{n} on Query {{ __typename }}"])


def query(text: str) -> bytes:
    return httpx.Request("POST", "/", json={"query": text}).content


PAYLOADS: dict[str, bytes] = {
    "small_query": query("{ __typename }"),
    # The most the validator can be made to compare within the limits (gateway 250 fields, subgraphs 500).
    "typename_250": query("{ " + "__typename " * 250 + "}"),
    "typename_500": query("{ " + "__typename " * 500 + "}"),
    "fragment_grid_22x22": query(grid(22)),
    "typename_33kb": query("{ " + "__typename " * 3000 + "}"),
    "aliases_3000": query("{ " + " ".join(f"a{i}: __typename" for i in range(3000)) + " }"),
    "fragment_grid_30x30": query(grid(30)),
    "fragment_chain_2000": query(chain(2000)),
    "nested_selections_5000": query("{ " + "__typename { " * 5000 + "}" * 5000 + " }"),
    "whitespace_1mb": query("{ __typename " + " " * (1 << 20) + "}"),
    "json_nested_100k": b"[" * 100_000 + b"]" * 100_000,
    "variables_nested_100k": b'{"query": "{ __typename }", "variables": {"v": '
    + b"[" * 100_000
    + b"]" * 100_000
    + b"}}",
}


async def probe_during(
    http: httpx.AsyncClient, url: str, headers: dict[str, str], body: bytes
) -> tuple[float, int]:
    """(longest /healthz round trip in ms while `body` is posted to `url`/graphql, the POST's status)."""
    done = asyncio.Event()
    longest = 0.0

    async def probe() -> None:
        nonlocal longest
        async with httpx.AsyncClient(base_url=url, timeout=600) as prober:
            while not done.is_set():
                started = time.perf_counter()
                await prober.get("/healthz")
                longest = max(longest, (time.perf_counter() - started) * 1000)

    task = asyncio.create_task(probe())
    await asyncio.sleep(0.05)  # the probe's connection is open and warm
    response = await http.post(
        f"{url}/graphql", content=body, headers={**headers, "content-type": "application/json"}
    )
    done.set()
    await task
    return longest, response.status_code


async def measure(urls: dict[str, str], client: dict[str, str], repeat: int) -> None:
    async with httpx.AsyncClient(timeout=900) as http:
        headers = {"Authorization": f"Bearer {await access_token(http, urls['gateway'], client)}"}
        for _ in range(600):  # the gateway composes the supergraph once every subgraph answers
            ready = await http.post(
                f"{urls['gateway']}/graphql", json={"query": "{ __typename }"}, headers=headers
            )
            if ready.status_code == 200:
                break
            await asyncio.sleep(0.1)
        else:
            raise SystemExit(
                f"the gateway's /graphql never answered 200: {ready.status_code} {ready.text[:300]}"
            )
        for target in TARGETS:
            url = urls[target]
            blocks: dict[str, float] = {}
            for name, body in PAYLOADS.items():
                worst, statuses = 0.0, set()
                for _ in range(repeat):
                    block, status = await probe_during(http, url, headers, body)
                    worst, statuses = max(worst, block), statuses | {status}
                blocks[name] = worst
                print(f"# {target} {name}: {len(body)} bytes, HTTP {sorted(statuses)}", flush=True)
            base = blocks.pop("small_query")
            for name, block in blocks.items():
                print(
                    bench_line(f"graphql_abuse_{target}_{name}", block, "ms", f"{target}_small_query", base)
                )
            worst_name = max(blocks, key=lambda n: blocks[n])
            print(
                bench_line(
                    f"graphql_abuse_{target}_worst_block",
                    blocks[worst_name],
                    "ms",
                    f"{target}_small_query",
                    base,
                )
                + f"  # {worst_name}",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=3, help="requests per payload; the worst counts")
    args = parser.parse_args()
    with devstack() as (config, client):
        urls = {name: config.url(name) for name in TARGETS}
        urls["gateway"] = config.url("gateway")
        asyncio.run(measure(urls, client, args.repeat))


if __name__ == "__main__":
    main()
