"""Request bodies above their route's limit get 413 problem+json, before the body is read."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from pydantic import BaseModel
from starlette.types import Message

from tandem_kit.errors import install_problem_handlers
from tandem_kit.limits import BodyLimit
from tandem_kit.testing import asgi_client

LIMIT, BULK = 1000, 5000


class Doc(BaseModel):
    text: str


def make_app(handled: list[str]) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/docs")
    async def create_doc(doc: Doc) -> dict[str, int]:
        handled.append("docs")
        return {"size": len(doc.text)}

    @app.post("/bulk/docs")
    async def create_docs(docs: list[Doc]) -> dict[str, int]:
        handled.append("bulk")
        return {"count": len(docs)}

    @app.post("/raw")
    async def read_raw(request: Request) -> dict[str, int]:
        # Reads the stream itself, as the gateway's forwarding does.
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
        handled.append("raw")
        return {"size": size}

    app.add_middleware(BodyLimit, default=LIMIT, routes=[(r"/bulk/.*", BULK)])
    return app


@pytest.fixture
def handled() -> list[str]:
    return []


@pytest.fixture
async def client(handled: list[str]) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(make_app(handled)) as c:
        yield c


def doc(size: int) -> bytes:
    return b'{"text": "' + b"x" * (size - 12) + b'"}'


async def chunks(body: bytes, size: int = 100) -> AsyncIterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


def assert_too_large(resp: httpx.Response, limit: int) -> None:
    assert resp.status_code == 413
    assert resp.headers["content-type"] == "application/problem+json"
    body = resp.json()
    assert body["type"] == "https://tandem.dev/problems/payload-too-large"
    assert body["max_body_bytes"] == limit
    assert body["errors"] == [
        {"detail": f"the body exceeds {limit} bytes", "code": "too_large", "pointer": "#/"}
    ]


async def test_body_at_the_limit_is_accepted(client: httpx.AsyncClient, handled: list[str]) -> None:
    resp = await client.post("/docs", content=doc(LIMIT), headers={"content-type": "application/json"})
    assert resp.json() == {"size": LIMIT - 12}
    assert handled == ["docs"]


async def test_declared_length_above_the_limit_is_refused(
    client: httpx.AsyncClient, handled: list[str]
) -> None:
    resp = await client.post("/docs", content=doc(LIMIT + 1), headers={"content-type": "application/json"})
    assert_too_large(resp, LIMIT)
    assert handled == []


async def test_bulk_route_has_its_own_limit(client: httpx.AsyncClient, handled: list[str]) -> None:
    items = b"[" + b",".join([doc(400)] * 10) + b"]"
    assert LIMIT < len(items) <= BULK
    resp = await client.post("/bulk/docs", content=items, headers={"content-type": "application/json"})
    assert resp.json() == {"count": 10}
    too_many = b"[" + b",".join([doc(400)] * 13) + b"]"
    assert_too_large(await client.post("/bulk/docs", content=too_many), BULK)


@pytest.mark.parametrize("path", ["/docs", "/raw"])
async def test_chunked_body_is_cut_at_the_limit(
    client: httpx.AsyncClient, handled: list[str], path: str
) -> None:
    resp = await client.post(
        path, content=chunks(doc(LIMIT * 3)), headers={"content-type": "application/json"}
    )
    assert "content-length" not in resp.request.headers
    assert_too_large(resp, LIMIT)
    assert handled == []


async def test_chunked_body_under_the_limit_passes(client: httpx.AsyncClient, handled: list[str]) -> None:
    resp = await client.post("/raw", content=chunks(doc(LIMIT)))
    assert resp.json() == {"size": LIMIT}


async def test_declared_length_is_refused_without_reading_the_body() -> None:
    """Plain ASGI: the app is never called and the body never received."""
    calls: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        calls.append("app")

    async def receive() -> Message:
        calls.append("receive")
        return {"type": "http.request", "body": b"", "more_body": False}

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/docs",
        "headers": [(b"content-length", b"209715200")],
    }
    await BodyLimit(app, default=LIMIT)(scope, receive, send)
    assert calls == []
    assert sent[0]["status"] == 413
