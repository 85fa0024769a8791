"""Every error is RFC 9457 problem+json, and validation errors point at the offending field."""

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Integer, bindparam, text
from sqlalchemy.ext.asyncio import create_async_engine

from tandem_kit.errors import Conflict, install_problem_handlers
from tandem_kit.testing import Infra, asgi_client


class Address(BaseModel):
    zone: str = Field(pattern=r"^[A-Z]{2}$")


class Thing(BaseModel):
    model_config = ConfigDict(extra="forbid")
    count: int
    address: Address


class ThingTaken(Conflict):
    code, title = "thing-taken", "Thing taken"


def make_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/things")
    async def create_thing(thing: Thing) -> Thing:
        return thing

    @app.get("/things/{n}")
    async def get_thing(n: int) -> dict[str, int]:
        if n == 7:
            raise ThingTaken("Thing 7 is taken.", pointer="#/n")
        if n == 13:
            raise RuntimeError("boom with secret detail")
        return {"n": n}

    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(make_app()) as c:
        yield c


async def test_wrong_type_names_nested_field(client: httpx.AsyncClient) -> None:
    resp = await client.post("/things", json={"count": "many", "address": {"zone": "x"}})
    assert resp.status_code == 422
    assert resp.headers["content-type"] == "application/problem+json"
    pointers = sorted(e["pointer"] for e in resp.json()["errors"])
    assert pointers == ["#/address/zone", "#/count"]


async def test_unknown_field_is_named(client: httpx.AsyncClient) -> None:
    resp = await client.post("/things", json={"count": 1, "address": {"zone": "DE"}, "colour": "red"})
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["pointer"] == "#/colour"


async def test_malformed_json(client: httpx.AsyncClient) -> None:
    resp = await client.post("/things", content=b'{"count": 1,', headers={"content-type": "application/json"})
    assert resp.status_code == 422
    assert resp.json()["type"].endswith("/validation-error")


async def test_wrong_content_type(client: httpx.AsyncClient) -> None:
    resp = await client.post(
        "/things", content=b"count=1", headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert resp.status_code == 415
    assert resp.json()["errors"][0]["pointer"] == "#/"


async def test_bad_path_parameter(client: httpx.AsyncClient) -> None:
    resp = await client.get("/things/abc")
    assert resp.status_code == 422
    assert resp.json()["errors"][0] == {
        "detail": resp.json()["errors"][0]["detail"],
        "code": "int_parsing",
        "parameter": "n",
        "in": "path",
    }


async def test_unknown_route(client: httpx.AsyncClient) -> None:
    resp = await client.get("/nowhere")
    assert resp.status_code == 404
    assert resp.headers["content-type"] == "application/problem+json"
    assert resp.json()["detail"] == "No route matches GET /nowhere."


async def test_domain_conflict(client: httpx.AsyncClient) -> None:
    resp = await client.get("/things/7")
    assert resp.status_code == 409
    assert resp.json() == {
        "type": "https://tandem.dev/problems/thing-taken",
        "title": "Thing taken",
        "status": 409,
        "detail": "Thing 7 is taken.",
        "instance": "/things/7",
        "pointer": "#/n",
    }


async def test_unexpected_error_hides_details() -> None:
    transport = httpx.ASGITransport(app=make_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        resp = await c.get("/things/13")
    assert resp.status_code == 500
    assert "secret" not in resp.text
    assert resp.json()["title"] == "Internal server error"


@pytest.fixture
async def db_client(infra: Infra) -> AsyncIterator[httpx.AsyncClient]:
    """An app whose routes hand values straight to PostgreSQL, with no validation in between."""
    engine = create_async_engine(infra.postgres.url("postgres"))
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/echo-text")
    async def echo_text(value: str) -> dict[str, str]:
        async with engine.connect() as conn:
            return {"value": str(await conn.scalar(text("SELECT CAST(:v AS text)"), {"v": value}))}

    @app.get("/echo-int")
    async def echo_int(value: int) -> dict[str, int]:
        async with engine.connect() as conn:
            stored = await conn.scalar(
                text("SELECT :v").bindparams(bindparam("v", type_=Integer)), {"v": value}
            )
            return {"value": int(stored)}

    @app.get("/broken-sql")
    async def broken_sql() -> None:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT * FROM no_such_table"))

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        yield client
    await engine.dispose()


@pytest.mark.parametrize(("path", "value"), [("/echo-text", "a\x00b"), ("/echo-int", str(2**31))])
async def test_unstorable_value_that_slipped_past_validation_is_422(
    db_client: httpx.AsyncClient, path: str, value: str
) -> None:
    resp = await db_client.get(path, params={"value": value})
    assert resp.status_code == 422
    assert resp.headers["content-type"] == "application/problem+json"
    body = resp.json()
    assert body["type"] == "https://tandem.dev/problems/validation-error"
    assert body["errors"][0]["code"] == "unstorable_value"
    assert value not in resp.text


async def test_storable_values_pass(db_client: httpx.AsyncClient) -> None:
    resp = await db_client.get("/echo-int", params={"value": 2**31 - 1})
    assert resp.json() == {"value": 2**31 - 1}


async def test_other_database_errors_stay_500(db_client: httpx.AsyncClient) -> None:
    resp = await db_client.get("/broken-sql")
    assert resp.status_code == 500
    assert resp.json()["title"] == "Internal server error"
