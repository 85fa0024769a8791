"""The OpenAPI document lists every status a route can answer, each as the problem+json it is served as."""

from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI
from prometheus_client import CollectorRegistry
from pydantic import BaseModel

from tandem_kit.app import health_router
from tandem_kit.auth import Authenticator, Principal
from tandem_kit.errors import PROBLEM_JSON, Conflict, Problem, Unprocessable, install_problem_handlers
from tandem_kit.openapi import install_openapi, problems
from tandem_kit.testing import asgi_client

Reader = Annotated[Principal, Depends(Authenticator(scopes={"things:read"}))]
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


class Thing(BaseModel):
    count: int


class ThingTaken(Conflict):
    code, title = "thing-taken", "Thing taken"


class TooManyThings(Unprocessable):
    """A program holds at most 12 things."""

    code, title = "too-many-things", "Too many things"


def make_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    install_openapi(app)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/things/{thing_id}")
    async def get_thing(thing_id: int, principal: Reader) -> Thing:
        return Thing(count=thing_id)

    @app.post("/things", responses=problems(ThingTaken, TooManyThings))
    async def create_thing(thing: Thing, principal: Reader) -> Thing:
        return thing

    @app.put("/public/{thing_id}")
    async def put_public(thing_id: int, thing: Thing) -> Thing:
        return thing

    return app


def responses(app: FastAPI, method: str, path: str) -> dict[str, Any]:
    found: dict[str, Any] = app.openapi()["paths"][path][method]["responses"]
    return found


def test_statuses_follow_from_what_the_route_declares() -> None:
    app = make_app()
    assert sorted(responses(app, "get", "/healthz")) == ["200"]
    assert sorted(responses(app, "get", "/things/{thing_id}")) == ["200", "401", "403", "404", "422", "503"]
    assert sorted(responses(app, "post", "/things")) == [
        "200", "400", "401", "403", "409", "413", "415", "422", "503",
    ]  # fmt: skip
    # No token, no PUT idempotency: no 401/403/409.
    assert sorted(responses(app, "put", "/public/{thing_id}")) == [
        "200", "400", "404", "413", "415", "422", "503",
    ]  # fmt: skip


def test_every_error_is_documented_as_problem_json() -> None:
    app = make_app()
    for status, response in responses(app, "post", "/things").items():
        if status == "200":
            continue
        assert list(response["content"]) == [PROBLEM_JSON], status
        assert response["content"][PROBLEM_JSON]["schema"] == PROBLEM_REF


def test_fastapi_validation_error_is_replaced() -> None:
    app = make_app()
    document = app.openapi()
    assert "HTTPValidationError" not in document["components"]["schemas"]
    assert "ValidationError" not in document["components"]["schemas"]
    problem = document["components"]["schemas"]["Problem"]
    assert problem["required"] == ["type", "title", "status"]
    assert problem["properties"]["errors"]["anyOf"][0]["items"] == {
        "$ref": "#/components/schemas/ProblemFieldError"
    }
    assert set(document["components"]["schemas"]["ProblemFieldError"]["properties"]) == {
        "detail", "code", "pointer", "parameter", "in",
    }  # fmt: skip


def test_domain_errors_name_their_rule_next_to_the_generic_one() -> None:
    app = make_app()
    conflict = responses(app, "post", "/things")["409"]
    assert conflict["description"].startswith(
        "`thing-taken`: Thing taken.\n\n`conflict`: A request with the same `Idempotency-Key`"
    )
    assert set(conflict["content"][PROBLEM_JSON]["examples"]) == {"thing-taken", "conflict"}
    invalid = responses(app, "post", "/things")["422"]
    assert invalid["description"].startswith("`too-many-things`: A program holds at most 12 things.")
    assert invalid["content"][PROBLEM_JSON]["examples"]["too-many-things"]["value"] == {
        "type": "https://tandem.dev/problems/too-many-things",
        "title": "Too many things",
        "status": 422,
    }


def test_outages_and_refusals_document_their_headers() -> None:
    app = make_app()
    found = responses(app, "get", "/things/{thing_id}")
    assert set(found["503"]["headers"]) == {"Retry-After"}
    assert set(found["401"]["headers"]) == {"WWW-Authenticate"}


def test_readiness_documents_its_own_unavailable_body() -> None:
    app = FastAPI()
    install_openapi(app)
    app.include_router(health_router(CollectorRegistry()))
    assert sorted(responses(app, "get", "/readyz")) == ["200", "503"]
    assert list(responses(app, "get", "/readyz")["503"]["content"]) == ["application/json"]
    assert sorted(responses(app, "get", "/healthz")) == ["200"]


def test_problems_groups_errors_by_status() -> None:
    grouped = problems(ThingTaken, TooManyThings)
    assert sorted(grouped) == [409, 422]
    assert grouped[409]["description"] == "`thing-taken`: Thing taken."


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b'{"count": "many"}', "application/json", 422),
        (b"count=1", "application/x-www-form-urlencoded", 415),
        (b'{"count": 1', "application/json", 422),
    ],
)
async def test_served_errors_match_the_documented_schema(body: bytes, content_type: str, status: int) -> None:
    app = make_app()
    async with asgi_client(app) as client:
        resp = await client.put("/public/1", content=body, headers={"content-type": content_type})
    assert resp.status_code == status
    assert str(status) in responses(app, "put", "/public/{thing_id}")
    assert resp.headers["content-type"] == PROBLEM_JSON
    problem = Problem.model_validate(resp.json())
    assert problem.status == status
    assert problem.errors
