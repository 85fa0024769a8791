"""OpenAPI documents that say what the API really answers: RFC 9457 problems and every status.

Generated clients are built from these documents, so each operation lists every status it can answer.
The statuses that follow from what a route declares are added here, once for every part:

- a bearer token (the `HTTPBearer` scheme, as every `Authenticator` declares it): 401 and 403;
- a path parameter: 404 (nothing the caller may see has that id);
- a JSON body: 400 (not well-formed), 413 (too large), 415 (not JSON) and 422; any other body: 413;
  any other parameter: 422;
- a POST behind a token (GraphQL aside): 409 and 422 for a reused `Idempotency-Key`;
- everything but the probes and the docs page: 503 with `Retry-After` (database, broker or a service is down).

A route's domain errors are declared on the route from the `ProblemError` classes its service raises:
`@router.post(..., responses=problems(MatchNotFound, MatchNotActive))`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.utils import get_flat_dependant
from fastapi.routing import APIRoute
from fastapi.security import HTTPBearer

from tandem_kit.errors import PROBLEM_BASE, PROBLEM_JSON, Problem, ProblemError

REF = "#/components/schemas/"
PROBLEM_SCHEMA = {"$ref": REF + "Problem"}
# Probes and pages that never touch a dependency (readyz documents its own 503 body).
UNDOCUMENTED_OUTAGE = frozenset({"/healthz", "/metrics", "/readyz", "/docs"})

RETRY_AFTER = {
    "Retry-After": {"description": "Seconds to wait before trying again.", "schema": {"type": "integer"}}
}
WWW_AUTHENTICATE = {
    "WWW-Authenticate": {
        "description": "The scheme to use (`Bearer`) and why the token was refused.",
        "schema": {"type": "string"},
    }
}

# status -> (title, type code, description, headers)
STANDARD: dict[int, tuple[str, str, str, dict[str, Any]]] = {
    400: (
        "Bad request",
        "http-400",
        "The request is not well-formed: a body that is not UTF-8 JSON, or (on a POST) an "
        "`Idempotency-Key` that is not a valid key (`invalid-idempotency-key`).",
        {},
    ),
    401: (
        "Authentication required",
        "unauthorized",
        "No valid bearer token: missing, malformed, expired, revoked or meant for another audience.",
        WWW_AUTHENTICATE,
    ),
    403: (
        "Forbidden",
        "forbidden",
        "The token lacks a scope this operation needs (`missing_scopes` lists them), or the caller may "
        "not act on this object.",
        WWW_AUTHENTICATE,
    ),
    404: ("Not found", "not-found", "No object the caller may see has this id.", {}),
    409: (
        "Conflict",
        "conflict",
        "A request with the same `Idempotency-Key` is still being processed "
        "(`idempotency-key-in-use`, retry after `Retry-After`), or the operation conflicts with the "
        "object's state.",
        {},
    ),
    413: ("Request too large", "request-too-large", "The request body is larger than this API accepts.", {}),
    415: (
        "Unsupported media type",
        "unsupported-media-type",
        "The request body is not `application/json`.",
        {},
    ),
    422: (
        "Request validation failed",
        "validation-error",
        "The request is invalid: `errors` names each invalid input (a JSON pointer into the body, or "
        "a parameter) and why.",
        {},
    ),
    503: (
        "Service unavailable",
        "service-unavailable",
        "A dependency (database, broker or another service) is unavailable; retry after `Retry-After` "
        "seconds.",
        RETRY_AFTER,
    ),
}


def _example(status: int, title: str, code: str) -> dict[str, Any]:
    return {"summary": title, "value": {"type": PROBLEM_BASE + code, "title": title, "status": status}}


def _problem_response(description: str, examples: dict[str, Any], headers: dict[str, Any]) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA, "examples": examples}},
    }
    if headers:
        response["headers"] = dict(headers)
    return response


def problems(*errors: type[ProblemError]) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route for the domain errors its service raises: one entry per status,
    each error named by its title and problem type, with the business rule as the description."""
    by_status: dict[int, list[type[ProblemError]]] = {}
    for error in errors:
        by_status.setdefault(error.status, []).append(error)
    responses: dict[int | str, dict[str, Any]] = {}
    for status, group in sorted(by_status.items()):
        lines = [f"`{e.code}`: {_rule(e)}" for e in group]
        examples = {e.code: _example(status, e.title, e.code) for e in group}
        headers = RETRY_AFTER if status in (429, 503) else {}
        responses[status] = _problem_response("\n\n".join(lines), examples, headers)
    return responses


def _rule(error: type[ProblemError]) -> str:
    """The error's business rule: its docstring when it has its own, otherwise its title."""
    doc = error.__dict__.get("__doc__")
    return " ".join(doc.split()) if doc else error.title + "."


def _secured(route: APIRoute) -> bool:
    flat = get_flat_dependant(route.dependant)
    return any(isinstance(req.security_scheme, HTTPBearer) for req in flat.security_requirements)


def standard_statuses(route: APIRoute, method: str, operation: dict[str, Any]) -> list[int]:
    """The statuses that follow from what the route declares (see the module docstring)."""
    flat = get_flat_dependant(route.dependant)
    statuses: set[int] = set()
    secured = _secured(route)
    if secured:
        statuses |= {401, 403}
    if flat.path_params:
        statuses |= {404, 422}
    if flat.query_params or flat.header_params or flat.cookie_params:
        statuses.add(422)
    if route.body_field is not None:
        statuses |= {400, 413, 415, 422}
    elif "requestBody" in operation:
        statuses.add(413)
    if method == "post" and secured and route.path_format != "/graphql":
        # Idempotency-Key (tandem_kit.idempotency): malformed 400, in flight 409, reused 422.
        statuses |= {400, 409, 422}
    if route.path_format not in UNDOCUMENTED_OUTAGE:
        statuses.add(503)
    return sorted(statuses)


def _merge(operation: dict[str, Any], status: int) -> None:
    title, code, description, headers = STANDARD[status]
    responses: dict[str, Any] = operation.setdefault("responses", {})
    existing = responses.get(str(status))
    if existing is None:
        responses[str(status)] = _problem_response(
            description, {code: _example(status, title, code)}, headers
        )
        return
    content = existing.setdefault("content", {})
    if PROBLEM_JSON not in content:
        # FastAPI's own 422 (HTTPValidationError as application/json) is not what is served.
        content.pop("application/json", None)
        content[PROBLEM_JSON] = {"schema": PROBLEM_SCHEMA, "examples": {}}
        existing["description"] = description
    else:
        existing["description"] = f"{existing.get('description', '')}\n\n`{code}`: {description}".strip()
    content[PROBLEM_JSON].setdefault("examples", {}).setdefault(code, _example(status, title, code))
    if headers:
        existing.setdefault("headers", {}).update(headers)


def describe_errors(app: FastAPI, document: dict[str, Any]) -> None:
    """Add the standard statuses to every operation and the Problem schema to the components."""
    for route in _routes(app.routes):
        for method in sorted(route.methods):
            operation = document["paths"].get(route.path_format, {}).get(method.lower())
            if operation is None:
                continue
            for status in standard_statuses(route, method.lower(), operation):
                _merge(operation, status)
            _replace_fastapi_422(operation)
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    problem = Problem.model_json_schema(ref_template=REF + "{model}")
    schemas.update(problem.pop("$defs", {}))
    schemas["Problem"] = problem
    used = repr(document["paths"])
    for name in ("HTTPValidationError", "ValidationError"):
        if REF + name not in used:
            schemas.pop(name, None)


def _replace_fastapi_422(operation: dict[str, Any]) -> None:
    response = operation.get("responses", {}).get("422")
    if response is not None and "application/json" in response.get("content", {}):
        response["content"].pop("application/json")


def _routes(routes: Iterable[Any]) -> Iterable[APIRoute]:
    return (r for r in routes if isinstance(r, APIRoute) and r.include_in_schema)


def install_openapi(app: FastAPI) -> None:
    """Make `app.openapi()` (and so `/openapi.json`) the described document, built once."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            describe_errors(app, build())
        assert app.openapi_schema is not None
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
