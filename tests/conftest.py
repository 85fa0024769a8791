"""Cross-service tests: the real processes, started by the same code as `make run`, on free ports."""

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from tandem_devstack.slice import Slice
from tandem_devstack.stack import PARTS, Stack, StackConfig
from tandem_kit.embedded import free_port


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    yield from _started_stack(tmp_path_factory)


@pytest.fixture(scope="module")
def own_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A stack for one module alone, for tests whose writes (fuzzing) must not reach other tests."""
    yield from _started_stack(tmp_path_factory)


def _started_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A whole stack on free ports, stopped when the generator is closed."""
    home: Path = tmp_path_factory.mktemp("stack")
    config = StackConfig(
        home=home,
        ports={p.name: free_port() for p in PARTS},
        postgres_port=free_port(),
        nats_port=free_port(),
        environment="development",
        fast_postgres=True,
    )
    running = Stack(config)
    running.start()
    yield running
    running.stop()


async def _slice_on(stack: Stack) -> AsyncIterator[Slice]:
    creds = json.loads((stack.config.home / "dev-client.json").read_text())
    flow = Slice(stack.config.url("gateway"), creds["client_id"], creds["client_secret"], fakes=stack.fakes)
    yield flow
    await flow.aclose()


@pytest.fixture
async def program_slice(stack: Stack) -> AsyncIterator[Slice]:
    async for flow in _slice_on(stack):
        yield flow


@pytest.fixture
async def first_program_slice(own_stack: Stack) -> AsyncIterator[Slice]:
    """The slice as the first program on a stack of its own: no earlier program's leftovers make the
    differencing guard withhold its KPI figures (all programs minus this one is nobody)."""
    async for flow in _slice_on(own_stack):
        yield flow


@pytest.fixture(scope="session")
async def dev_token(stack: Stack) -> str:
    """An access token of the development client (every scope), from the stack's gateway."""
    creds = json.loads((stack.config.home / "dev-client.json").read_text())
    async with httpx.AsyncClient() as http:
        resp = await http.post(
            f"{stack.config.url('gateway')}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(creds["client_id"], creds["client_secret"]),
        )
    assert resp.status_code == 200, resp.text
    token: str = resp.json()["access_token"]
    return token
