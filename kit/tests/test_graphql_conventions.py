"""GraphQL conventions every subgraph shares: a refused mutation carries the REST problem in its
error's `extensions`, and growing lists answer a `Page` with the REST paging rules."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import strawberry
from pydantic import BaseModel, Field
from strawberry.types import Info

from tandem_kit.app import create_app
from tandem_kit.errors import Conflict
from tandem_kit.graphql import Page, graphql_input, graphql_page, page_params
from tandem_kit.settings import KitSettings
from tandem_kit.testing import Infra, asgi_client, running

NUMBERS = list(range(1, 8))


class Booking(BaseModel):
    seats: int = Field(ge=1, le=10)
    note: str = Field(max_length=5)


@strawberry.type
class Number:
    value: int


@strawberry.type
class Query:
    @strawberry.field
    def numbers(self, limit: int = 100, offset: int = 0) -> Page[Number]:
        params = page_params(limit, offset)
        rows = NUMBERS[params.offset : params.offset + params.limit]
        return graphql_page(rows, len(NUMBERS), params, lambda n: Number(value=n))


@strawberry.type
class Mutation:
    @strawberry.mutation
    def book(self, info: Info[Any, Any], seats: int, note: str) -> int:
        data = graphql_input(Booking, "input", {"seats": seats, "note": note})
        if data.seats > 5:
            raise Conflict("Only 5 seats are left.", rule="seats_left")
        return data.seats


SCHEMA = strawberry.federation.Schema(query=Query, mutation=Mutation)


@pytest.fixture
async def client(infra: Infra) -> AsyncIterator[httpx.AsyncClient]:
    settings = KitSettings(
        environment="test",
        database_url=infra.postgres.url("postgres"),
        nats_url=infra.nats.url,
        revocation_list_url=None,
    )
    app = create_app(
        name="probe",
        settings=settings,
        graphql_schema=SCHEMA,
        token_verifier=infra.keys.verifier("probe"),
        run_relay=False,
    )
    async with running(app), asgi_client(app, **infra.keys.headers("probe:read")) as c:
        yield c


async def test_a_page_has_items_and_totals(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql", json={"query": "{ numbers(limit: 3, offset: 5) { items { value } total limit offset } }"}
    )

    assert response.json() == {
        "data": {"numbers": {"items": [{"value": 6}, {"value": 7}], "total": 7, "limit": 3, "offset": 5}}
    }


async def test_a_limit_out_of_range_names_the_argument(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": "{ numbers(limit: 501) { total } }"})

    error = response.json()["errors"][0]
    assert error["extensions"]["status"] == 422
    assert error["extensions"]["errors"][0]["parameter"] == "limit"


async def test_invalid_input_points_at_the_field(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": 'mutation { book(seats: 0, note: "hi") }'})

    error = response.json()["errors"][0]
    assert error["extensions"]["status"] == 422
    assert error["extensions"]["type"] == "https://tandem.dev/problems/unprocessable"
    assert [e["pointer"] for e in error["extensions"]["errors"]] == ["#/input/seats"]


async def test_a_refusal_carries_the_problem(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": 'mutation { book(seats: 6, note: "hi") }'})

    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["message"] == "Only 5 seats are left."
    assert body["errors"][0]["extensions"] == {
        "type": "https://tandem.dev/problems/conflict",
        "title": "Conflict",
        "status": 409,
        "detail": "Only 5 seats are left.",
        "rule": "seats_left",
    }
