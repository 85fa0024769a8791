"""One abusive GraphQL request, over real HTTP, at the gateway and at the consent subgraph behind it:
refused with a clear error, and never stopping the event loop that serves everyone else."""

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI

from tandem_gateway.app import create_app
from tandem_gateway.testing import (
    GATEWAY_DIR,
    bearer,
    create_oauth_client,
    fetch_token,
    gateway_settings,
    serve,
)
from tandem_kit.embedded import free_port
from tandem_kit.testing import Infra, eventually, least_loop_block

# Generous for a shared 2-core machine; before the limits these requests blocked the loop for seconds.
LOOP_BLOCK_BOUND = 0.1
JSON = {"content-type": "application/json"}


@dataclass
class Stack:
    gateway: str
    consent: str
    token: str


@pytest.fixture(scope="module")
async def stack(infra: Infra, consent_behind: Callable[[str], FastAPI]) -> AsyncIterator[Stack]:
    gateway_port, consent_port = free_port(), free_port()
    gateway_url = f"http://127.0.0.1:{gateway_port}"
    gateway = create_app(
        gateway_settings(
            infra,
            database_url=infra.fresh_database("gateway", GATEWAY_DIR),
            consent_url=f"http://127.0.0.1:{consent_port}",
            graphql_subgraphs=("consent",),
        )
    )
    async with serve(gateway, port=gateway_port), serve(consent_behind(gateway_url), port=consent_port):
        creds = await create_oauth_client(gateway, "consent:read", name="abuse")
        async with httpx.AsyncClient(base_url=gateway_url) as http:
            token = await fetch_token(http, creds)

            async def composed() -> bool:
                response = await http.post(
                    "/graphql", json={"query": "{ __typename }"}, headers=bearer(token)
                )
                return response.status_code == 200

            await eventually(composed, timeout=10)
        yield Stack(gateway=gateway_url, consent=f"http://127.0.0.1:{consent_port}", token=token)


@pytest.fixture
async def http(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(headers=bearer(stack.token), timeout=60) as client:
        yield client


def typenames(n: int) -> str:
    return "{ " + " ".join(["__typename"] * n) + " }"


def fragment_grid(n: int) -> str:
    fragments = " ".join(f"fragment F{i} on Query {{ {' '.join(['__typename'] * n)} }}" for i in range(n))
    return "{ " + " ".join(f"...F{i}" for i in range(n)) + " } " + fragments


def fragment_chain(n: int) -> str:
    fragments = [f"fragment F{i} on Query {{ ...F{i + 1} }}" for i in range(n - 1)]
    return "{ ...F0 } " + " ".join([*fragments, f"fragment F{n - 1} on Query {{ __typename }}"])


ABUSE = {
    "typename_33kb": typenames(3000),
    "fields_at_the_subgraph_limit": typenames(500),
    "fragment_grid_22x22": fragment_grid(22),
    "fragment_chain_1000": fragment_chain(1000),
    "nested_1500": "{ " + "purposes { " * 1500 + "key" + " }" * 1500 + " }",
    "whitespace_120kb": "{ __typename" + " " * 120_000 + "}",
}


@pytest.mark.parametrize("target", ["gateway", "consent"])
@pytest.mark.parametrize("query", ABUSE.values(), ids=ABUSE.keys())
async def test_one_request_never_blocks_the_loop(
    stack: Stack, http: httpx.AsyncClient, target: str, query: str
) -> None:
    block, response = await least_loop_block(
        lambda: http.post(f"{getattr(stack, target)}/graphql", json={"query": query}), below=LOOP_BLOCK_BOUND
    )

    assert response.status_code == 200
    assert block < LOOP_BLOCK_BOUND, f"event loop blocked {block * 1000:.0f} ms"


async def test_refusal_is_a_graphql_error_naming_the_limit(stack: Stack, http: httpx.AsyncClient) -> None:
    response = await http.post(f"{stack.gateway}/graphql", json={"query": typenames(1000)})

    assert response.json() == {
        "errors": [
            {
                "message": "The document has 1000 fields; the limit is 250.",
                "extensions": {"code": "QUERY_TOO_LARGE", "limit": "maxFields", "max": 250},
            }
        ]
    }


@pytest.mark.parametrize("target", ["gateway", "consent"])
async def test_body_over_the_limit_is_413(stack: Stack, http: httpx.AsyncClient, target: str) -> None:
    body = b'{"query": "{ __typename }", "pad": "' + b" " * 300_000 + b'"}'
    response = await http.post(f"{getattr(stack, target)}/graphql", content=body, headers=JSON)

    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["max_bytes"] == {"gateway": 131_072, "consent": 262_144}[target]


async def test_body_without_length_is_411(stack: Stack, http: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"query": "{ __typename }"}'

    response = await http.post(f"{stack.gateway}/graphql", content=chunks(), headers=JSON)

    assert response.status_code == 411
    assert response.headers["content-type"] == "application/problem+json"


# 60,000 levels: within the gateway's 128 KiB body limit (100,000 levels, 200 KB, are a 413 there).
NESTED = {
    "body": b"[" * 60_000 + b"]" * 60_000,
    "variables": b'{"query": "{ __typename }", "variables": {"v": ' + b"[" * 60_000 + b"]" * 60_000 + b"}}",
}


@pytest.mark.parametrize("target", ["gateway", "consent"])
@pytest.mark.parametrize("body", NESTED.values(), ids=NESTED.keys())
async def test_json_nested_too_deeply_is_400(
    stack: Stack, http: httpx.AsyncClient, target: str, body: bytes
) -> None:
    response = await http.post(f"{getattr(stack, target)}/graphql", content=body, headers=JSON)

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "The JSON body is nested too deeply."
