"""RFC 9457 problem details for every error a Tandem part returns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tandem_kit.db import is_unavailable, sqlstate

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://tandem.dev/problems/"

log = structlog.get_logger("tandem.errors")


class ProblemFieldError(BaseModel):
    """One invalid input: where it is (`pointer` into the body, or a `parameter`) and what is wrong."""

    model_config = ConfigDict(populate_by_name=True)

    detail: str = Field(description="What is wrong with this input.")
    code: str | None = Field(default=None, description="Machine-readable reason, e.g. `missing`, `too_long`.")
    pointer: str | None = Field(
        default=None, description="RFC 6901 JSON pointer into the request body, e.g. `#/weights/0`."
    )
    parameter: str | None = Field(default=None, description="The query, path or header parameter at fault.")
    in_: Literal["path", "query", "header", "cookie"] | None = Field(
        default=None, alias="in", description="Where `parameter` is."
    )


class Problem(BaseModel):
    """RFC 9457 problem details, served as `application/problem+json` for every error."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"additionalProperties": True})

    type: str = Field(description=f"URI naming the kind of problem, under {PROBLEM_BASE}.")
    title: str = Field(description="Short summary of the kind of problem (the same for every occurrence).")
    status: int = Field(description="The HTTP status code.", ge=100, le=599)
    detail: str | None = Field(default=None, description="What went wrong this time, for a human.")
    instance: str | None = Field(default=None, description="The request path the problem occurred on.")
    errors: list[ProblemFieldError] | None = Field(
        default=None, description="Each invalid input, when the request was refused for its content."
    )


class ProblemError(Exception):
    """A domain or protocol error rendered as problem+json. Subclasses set the class attributes."""

    status: int = 500
    code: str = "internal-error"
    title: str = "Internal server error"

    def __init__(
        self,
        detail: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.headers = dict(headers or {})
        self.extensions = extensions


class BadRequest(ProblemError):
    status, code, title = 400, "bad-request", "Bad request"


class Unauthorized(ProblemError):
    status, code, title = 401, "unauthorized", "Authentication required"


class Forbidden(ProblemError):
    status, code, title = 403, "forbidden", "Forbidden"


class NotFound(ProblemError):
    status, code, title = 404, "not-found", "Not found"


class Conflict(ProblemError):
    status, code, title = 409, "conflict", "Conflict"


class LengthRequired(ProblemError):
    status, code, title = 411, "length-required", "Length required"


class ContentTooLarge(ProblemError):
    status, code, title = 413, "content-too-large", "Content too large"


class Unprocessable(ProblemError):
    status, code, title = 422, "unprocessable", "Unprocessable content"


class ServiceUnavailable(ProblemError):
    status, code, title = 503, "service-unavailable", "Service unavailable"


class DatabaseUnavailable(ServiceUnavailable):
    code, title = "database-unavailable", "Database unavailable"


RETRY_AFTER_SECONDS = 5  # what a 503 for an outage tells callers (Retry-After)


def problem_response(
    status: int,
    title: str,
    *,
    code: str,
    detail: str | None = None,
    instance: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    body: dict[str, Any] = {"type": PROBLEM_BASE + code, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    body.update(extensions)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=dict(headers or {}))


def json_pointer(loc: Sequence[str | int]) -> str:
    """Turn a pydantic error location into an RFC 6901 pointer into the request body."""
    parts = [str(p).replace("~", "~0").replace("/", "~1") for p in loc]
    return "#/" + "/".join(parts)


def validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = []
    for err in exc.errors():
        loc = list(err.get("loc", ()))
        where = str(loc[0]) if loc else "body"
        entry: dict[str, Any] = {"detail": err.get("msg", "invalid"), "code": err.get("type", "invalid")}
        if where == "body":
            entry["pointer"] = json_pointer(loc[1:])
        else:
            entry["parameter"] = ".".join(str(p) for p in loc[1:]) or where
            entry["in"] = where
        errors.append(entry)
    return errors


def _is_json(request: Request) -> bool:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return ctype == "application/json" or ctype.endswith("+json")


def response_for(exc: ProblemError, instance: str) -> JSONResponse:
    """The problem+json answer for a raised `ProblemError` (plain ASGI code uses it outside FastAPI)."""
    return problem_response(
        exc.status,
        exc.title,
        code=exc.code,
        detail=exc.detail,
        instance=instance,
        headers=exc.headers,
        **exc.extensions,
    )


async def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    return response_for(exc, request.url.path)


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = validation_errors(exc)
    body_error = any(e.get("pointer") is not None for e in errors)
    has_body = (
        request.headers.get("content-length", "0") not in ("", "0") or "transfer-encoding" in request.headers
    )
    if body_error and has_body and not _is_json(request):
        return problem_response(
            415,
            "Unsupported media type",
            code="unsupported-media-type",
            detail="The request body must be application/json.",
            instance=request.url.path,
            errors=[{"detail": "content type must be application/json", "pointer": "#/"}],
        )
    first = errors[0] if errors else {}
    where = first.get("pointer") or first.get("parameter") or "request"
    return problem_response(
        422,
        "Request validation failed",
        code="validation-error",
        detail=f"Invalid value at {where}: {first.get('detail', 'invalid')}",
        instance=request.url.path,
        errors=errors,
    )


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    titles = {
        400: "Bad request",
        404: "Not found",
        405: "Method not allowed",
        401: "Authentication required",
        403: "Forbidden",
    }
    detail = exc.detail if isinstance(exc.detail, str) else None
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"No route matches {request.method} {request.url.path}."
    return problem_response(
        exc.status_code,
        titles.get(exc.status_code, "HTTP error"),
        code=f"http-{exc.status_code}",
        detail=detail,
        instance=request.url.path,
        headers=getattr(exc, "headers", None),
    )


# SQLSTATEs of values PostgreSQL cannot store: a NUL (or unmappable) character, a number too large.
UNSTORABLE_SQLSTATES = frozenset({"22021", "22P05", "22003"})


def unstorable_input(exc: DBAPIError) -> bool:
    """Whether the database refused a value as unstorable (the driver refuses an int too large itself)."""
    if sqlstate(exc) in UNSTORABLE_SQLSTATES:
        return True
    cause: BaseException | None = exc.orig
    while cause is not None:
        if isinstance(cause, OverflowError):
            return True
        cause = cause.__cause__
    return False


async def _on_database(request: Request, exc: Exception) -> JSONResponse:
    """Defence in depth: validation names the field (kit.fields); input that slipped past it is still 422."""
    assert isinstance(exc, DBAPIError)
    if not unstorable_input(exc):
        return await _on_unexpected(request, exc)  # an outage (503) or a bug (500)
    log.warning("http.unstorable_input", path=request.url.path, sqlstate=sqlstate(exc))
    detail = "a value cannot be stored: text with a NUL character (\\u0000), or a number out of range"
    return problem_response(
        422,
        "Request validation failed",
        code="validation-error",
        detail=f"Invalid value in the request: {detail}",
        instance=request.url.path,
        errors=[{"detail": detail, "code": "unstorable_value", "pointer": "#/"}],
    )


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    if is_unavailable(exc):
        # An outage is not a bug: one line per failed request, no traceback.
        log.warning("http.database_unavailable", path=request.url.path, error_type=type(exc).__name__)
        outage = DatabaseUnavailable(
            "The service's database is unavailable; retry shortly.",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
        return response_for(outage, request.url.path)
    log.exception("http.unhandled_error", path=request.url.path, error_type=type(exc).__name__)
    return problem_response(500, "Internal server error", code="internal-error", instance=request.url.path)


class UnexpectedErrors:
    """Answers an exception nothing else handled (500, or 503 for a database outage) and stops it there.

    Starlette's last-resort handler re-raises after answering; uvicorn then logs the traceback a second
    time and drops the keep-alive connection without `Connection: close`, and a client's pool (the
    gateway's) reuses the dead connection for its next caller. An exception after the answer started
    still propagates: that connection cannot be reused.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if started:
                raise
            response = await _on_unexpected(Request(scope), exc)
            await response(scope, receive, send)


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(DBAPIError, _on_database)
    app.add_exception_handler(Exception, _on_unexpected)
