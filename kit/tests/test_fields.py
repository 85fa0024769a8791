"""Input that PostgreSQL cannot store is refused at validation, naming the field (422, not 500)."""

from collections.abc import AsyncIterator
from typing import Annotated

import httpx
import pytest
from fastapi import FastAPI, Path, Query
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tandem_kit.errors import install_problem_handlers
from tandem_kit.fields import INT4_MAX, INT8_MAX, Int4, Text
from tandem_kit.pagination import PageQuery
from tandem_kit.testing import asgi_client


class Note(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Text = Field(min_length=1, max_length=200)
    tags: list[Text] = Field(default_factory=list)
    count: Int4 | None = Field(default=None, ge=0)
    size: Int4 = Field(default=1, ge=1, le=100)


TEXT = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=99)


@given(TEXT.filter(lambda value: "\x00" not in value))
def test_text_without_nul_is_kept_as_is(value: str) -> None:
    assert Note.model_validate({"title": value or "x"}).title == (value or "x")


@given(TEXT, TEXT)
def test_text_with_nul_anywhere_is_refused(before: str, after: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Note.model_validate({"title": f"{before}\x00{after}"})
    assert [(e["loc"], e["type"]) for e in caught.value.errors()] == [(("title",), "string_nul")]


@given(st.integers(min_value=0, max_value=INT4_MAX))
def test_int4_edges_accepted(value: int) -> None:
    assert Note.model_validate({"title": "x", "count": value}).count == value


@given(st.integers(min_value=INT4_MAX + 1))
def test_int4_overflow_refused(value: int) -> None:
    with pytest.raises(ValidationError) as caught:
        Note.model_validate({"title": "x", "count": value})
    assert [(e["loc"], e["type"]) for e in caught.value.errors()] == [(("count",), "less_than_equal")]


@pytest.mark.parametrize(("size", "error"), [(0, "greater_than_equal"), (101, "less_than_equal")])
def test_a_field_narrows_int4_and_keeps_its_own_bounds(size: int, error: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Note.model_validate({"title": "x", "size": size})
    assert [(e["loc"], e["type"]) for e in caught.value.errors()] == [(("size",), error)]


def test_int4_documents_its_range() -> None:
    properties = Note.model_json_schema()["properties"]
    assert (properties["size"]["minimum"], properties["size"]["maximum"]) == (1, 100)
    assert properties["count"]["anyOf"][0] | {"type": "integer"} == {
        "type": "integer",
        "minimum": 0,
        "maximum": INT4_MAX,
    }


def test_text_documents_the_rule_and_keeps_its_own_pattern() -> None:
    class Coded(BaseModel):
        free: Text
        code: Text = Field(pattern=r"^[a-z]{2}$")

    properties = Coded.model_json_schema()["properties"]
    assert properties["free"]["pattern"] == "^[^\\u0000]*$"
    assert properties["code"]["pattern"] == "^[a-z]{2}$"


def make_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/notes")
    async def create_note(note: Note) -> Note:
        return note

    @app.get("/notes/{key}")
    async def get_note(
        key: Annotated[Text, Path()], q: Annotated[Text | None, Query()] = None
    ) -> dict[str, str]:
        return {"key": key}

    @app.get("/notes")
    async def list_notes(page: PageQuery) -> dict[str, int]:
        return {"offset": page.offset}

    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(make_app()) as c:
        yield c


async def test_nul_in_a_body_field_is_named(client: httpx.AsyncClient) -> None:
    resp = await client.post("/notes", json={"title": "ok", "tags": ["a", "b\u0000"]})
    assert resp.status_code == 422
    assert resp.headers["content-type"] == "application/problem+json"
    body = resp.json()
    assert body["type"] == "https://tandem.dev/problems/validation-error"
    assert body["errors"] == [
        {
            "detail": "text must not contain the NUL character (\\u0000)",
            "code": "string_nul",
            "pointer": "#/tags/1",
        }
    ]


async def test_nul_in_a_path_segment_is_named(client: httpx.AsyncClient) -> None:
    resp = await client.get("/notes/a%00b")
    assert resp.status_code == 422
    assert resp.json()["errors"][0] | {"detail": ""} == {
        "detail": "",
        "code": "string_nul",
        "parameter": "key",
        "in": "path",
    }


async def test_nul_in_a_query_parameter_is_named(client: httpx.AsyncClient) -> None:
    resp = await client.get("/notes/a", params={"q": "\x00"})
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["parameter"] == "q"


async def test_int4_overflow_in_a_body_is_named(client: httpx.AsyncClient) -> None:
    resp = await client.post("/notes", json={"title": "ok", "count": 2**31})
    assert resp.status_code == 422
    assert [(e["pointer"], e["code"]) for e in resp.json()["errors"]] == [("#/count", "less_than_equal")]


@pytest.mark.parametrize(("offset", "status"), [(INT8_MAX, 200), (INT8_MAX + 1, 422), (2**70, 422)])
async def test_offset_is_bounded_by_bigint(client: httpx.AsyncClient, offset: int, status: int) -> None:
    resp = await client.get("/notes", params={"offset": offset})
    assert resp.status_code == status
    if status == 422:
        assert resp.json()["errors"][0]["parameter"] == "offset"
