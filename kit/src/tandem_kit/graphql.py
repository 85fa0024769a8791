"""Typed helpers for strawberry subgraphs: field decorator, per-request DataLoaders on one session, and
the limits that bound what one GraphQL request may cost (used by the subgraphs and the gateway)."""

import asyncio
import contextlib
import contextvars
import copy
import functools
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, cast
from uuid import UUID

import strawberry
import strawberry.scalars
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    parse,
)
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader
from strawberry.extensions import SchemaExtension
from strawberry.fastapi import GraphQLRouter
from strawberry.http import GraphQLRequestData
from strawberry.schema.schema import validate_document
from strawberry.types import Info

from tandem_kit.auth import Principal
from tandem_kit.errors import (
    PROBLEM_BASE,
    BadRequest,
    ContentTooLarge,
    Forbidden,
    LengthRequired,
    ProblemError,
    Unprocessable,
    json_pointer,
)
from tandem_kit.fields import NUL_MESSAGE, nul_at
from tandem_kit.pagination import MAX_LIMIT, MAX_OFFSET, PageParams

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

# U+0000 written as a GraphQL string escape (a literal NUL cannot appear in a query document).
NUL_ESCAPE = re.compile(r"\\u0000|\\u\{0+\}")

BatchLoad = Callable[[AsyncSession, Principal, Sequence[K]], Awaitable[Sequence[V]]]
KeyedLoad = Callable[[AsyncSession, Principal, Sequence[K]], Awaitable[Mapping[K, V]]]
SESSION_LOCK = "_session_lock"


def field(*, description: str) -> Callable[[F], F]:
    """`strawberry.field(description=...)` as a typed decorator (strawberry's overloads return Any)."""
    return cast(Callable[[F], F], strawberry.field(description=description))


def require_scope(info: Info[Any, Any], scope: str) -> Principal:
    """Inside a GraphQL resolver: the caller must hold `scope` (403 otherwise)."""
    principal: Principal = info.context["principal"]
    if scope not in principal.scopes:
        raise Forbidden(f"The access token lacks the scope {scope}.", missing_scopes=[scope])
    return principal


def parse_id(value: str) -> UUID | None:
    """An entity id from a query or a federation representation; None when it is not a UUID (the
    entity resolves to null, as one that does not exist)."""
    try:
        return UUID(str(value))
    except ValueError:
        return None


@contextlib.asynccontextmanager
async def exclusive_session(info: Info[Any, Any]) -> AsyncIterator[AsyncSession]:
    """The request's session, used by one resolver at a time: sibling fields (and the batches of
    different DataLoaders) resolve concurrently, but one AsyncSession runs one statement at a time."""
    lock: asyncio.Lock = info.context["loaders"].setdefault(SESSION_LOCK, asyncio.Lock())
    async with lock:
        yield info.context["session"]


@contextlib.asynccontextmanager
async def mutation_session(info: Info[Any, Any]) -> AsyncIterator[AsyncSession]:
    """The request's session for one mutation, inside a savepoint: a refused mutation is a GraphQL error,
    not a failed request, so the request still commits; the savepoint drops what the refused mutation
    had flushed before it raised, and the mutations before it in the same request stay."""
    async with exclusive_session(info) as session, session.begin_nested():
        yield session


def loader(info: Info[Any, Any], name: str, load: BatchLoad[K, V]) -> DataLoader[K, V]:
    """The request's DataLoader `name`, created on first use: one query per batch of keys."""
    loaders: dict[str, Any] = info.context["loaders"]
    if name not in loaders:
        principal: Principal = info.context["principal"]

        async def batch(keys: list[K]) -> Sequence[V]:
            async with exclusive_session(info) as session:
                return await load(session, principal, keys)

        loaders[name] = DataLoader(load_fn=batch)
    found: DataLoader[K, V] = loaders[name]
    return found


def keyed_loader(info: Info[Any, Any], name: str, fetch: KeyedLoad[K, V]) -> DataLoader[K, V | None]:
    """`loader` over a fetch that answers by key: a key it leaves out loads None."""

    async def aligned(session: AsyncSession, principal: Principal, keys: Sequence[K]) -> list[V | None]:
        found = await fetch(session, principal, keys)
        return [found.get(key) for key in keys]

    return loader(info, name, aligned)


class TextSafeGraphQLRouter(GraphQLRouter[Any, Any]):
    """The subgraph endpoint: a NUL in the variables or in a string of the query is a 422 naming it,
    as for REST input (kit.fields.Text), instead of failing in PostgreSQL."""

    async def parse_http_body(self, request: Any) -> GraphQLRequestData | list[GraphQLRequestData]:
        parsed = await super().parse_http_body(request)
        for index, data in enumerate(parsed if isinstance(parsed, list) else [parsed]):
            prefix: tuple[str | int, ...] = ("body", index) if isinstance(parsed, list) else ("body",)
            refuse_nul_in_operation(data.query, data.variables, *prefix)
        return parsed


def refuse_nul_in_operation(query: str | None, variables: Any, *prefix: str | int) -> None:
    """422 (RequestValidationError) naming the variable, or the query, that holds a NUL."""
    where = nul_at(variables or {}, *prefix, "variables")
    if where is None and query and ("\x00" in query or NUL_ESCAPE.search(query)):
        where = (*prefix, "query")
    if where is not None:
        raise RequestValidationError([{"type": "string_nul", "loc": where, "msg": NUL_MESSAGE}])


# -- limits ---------------------------------------------------------------------------------------


class GraphQLLimits(BaseModel):
    """What one GraphQL request may cost, checked before the document is validated.

    graphql-core's validation is quadratic in same-named fields (OverlappingFieldsCanBeMerged) and its
    parser and some rules recurse, so the document is bounded first: size, tokens, fields, aliases and
    nesting. The defaults are a subgraph's: the gateway's own queries to a subgraph carry internal
    aliases and `... on Type` blocks, so they are larger than the client query they come from.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_body_bytes: int = Field(
        default=262_144, ge=1024, description="Largest POST body (413 above; Content-Length required)."
    )
    max_query_length: int = Field(default=65_536, ge=64, description="Longest document, in characters.")
    max_tokens: int = Field(default=10_000, ge=16, description="Most lexical tokens in the document.")
    max_fields: int = Field(
        default=500, ge=1, description="Most fields written in the document (a fragment counts once)."
    )
    max_aliases: int = Field(default=500, ge=0, description="Most aliased fields in the document.")
    max_depth: int = Field(
        default=64,
        ge=1,
        description=(
            "Deepest nesting of selections, fragments expanded: a field, an inline fragment and a "
            "fragment spread each open one level."
        ),
    )


class QueryLimitError(GraphQLError):
    """A limit refused the document: a GraphQL error with `extensions.code`, `limit` and `max`."""

    def __init__(self, message: str, *, code: str, limit: str, maximum: int) -> None:
        super().__init__(message, extensions={"code": code, "limit": limit, "max": maximum})


def parse_within(query: str, limits: GraphQLLimits) -> DocumentNode:
    """Parse `query` and check its shape against `limits`; raises a `GraphQLError` if refused.

    CPU-bound: call it through `off_loop`."""
    if len(query) > limits.max_query_length:
        raise QueryLimitError(
            f"The document is {len(query)} characters long; the limit is {limits.max_query_length}.",
            code="QUERY_TOO_LARGE",
            limit="maxQueryLength",
            maximum=limits.max_query_length,
        )
    try:
        document = parse(query, max_tokens=limits.max_tokens)
    except GraphQLError as exc:
        if "tokens. Parsing aborted" in exc.message:
            raise QueryLimitError(
                f"The document has more than {limits.max_tokens} tokens.",
                code="QUERY_TOO_LARGE",
                limit="maxTokens",
                maximum=limits.max_tokens,
            ) from exc
        raise
    except RecursionError as exc:
        # graphql-core's parser recurses once per nesting level; a deep enough document exhausts the stack.
        raise QueryLimitError(
            f"The document is nested deeper than the limit of {limits.max_depth}.",
            code="QUERY_TOO_DEEP",
            limit="maxDepth",
            maximum=limits.max_depth,
        ) from exc
    check_document(document, limits)
    return document


def check_document(document: DocumentNode, limits: GraphQLLimits) -> None:
    """Count fields and aliases, and measure nesting with fragments expanded, without recursion."""
    fields = aliases = 0
    # Per definition: the deepest level it reaches itself, and (level, fragment) for each spread.
    own_depth: dict[str, int] = {}
    spreads: dict[str, list[tuple[int, str]]] = {}
    operations: list[str] = []
    for index, definition in enumerate(document.definitions):
        if isinstance(definition, FragmentDefinitionNode):
            key = definition.name.value
        elif isinstance(definition, OperationDefinitionNode):
            key = f" operation {index}"  # a space: never a fragment name
            operations.append(key)
        else:  # pragma: no cover - an executable document has no other definitions
            continue
        deepest, found = 0, spreads.setdefault(key, [])
        stack: list[tuple[SelectionSetNode, int]] = [(definition.selection_set, 1)]
        while stack:
            selection_set, level = stack.pop()
            for selection in selection_set.selections:
                deepest = max(deepest, level)
                if isinstance(selection, FieldNode):
                    fields += 1
                    aliases += selection.alias is not None
                    if selection.selection_set is not None:
                        stack.append((selection.selection_set, level + 1))
                elif isinstance(selection, InlineFragmentNode):
                    stack.append((selection.selection_set, level + 1))
                elif isinstance(selection, FragmentSpreadNode):
                    found.append((level, selection.name.value))
        own_depth[key] = max(own_depth.get(key, 0), deepest)
    if fields > limits.max_fields:
        raise QueryLimitError(
            f"The document has {fields} fields; the limit is {limits.max_fields}.",
            code="QUERY_TOO_LARGE",
            limit="maxFields",
            maximum=limits.max_fields,
        )
    if aliases > limits.max_aliases:
        raise QueryLimitError(
            f"The document has {aliases} aliases; the limit is {limits.max_aliases}.",
            code="TOO_MANY_ALIASES",
            limit="maxAliases",
            maximum=limits.max_aliases,
        )
    depth = _expanded_depth(own_depth, spreads, operations)
    if depth > limits.max_depth:
        raise QueryLimitError(
            f"The document is nested {depth} levels deep; the limit is {limits.max_depth}.",
            code="QUERY_TOO_DEEP",
            limit="maxDepth",
            maximum=limits.max_depth,
        )


def _expanded_depth(
    own_depth: dict[str, int], spreads: dict[str, list[tuple[int, str]]], operations: list[str]
) -> int:
    """The deepest operation, each spread counted as one level plus the depth of its fragment.

    Iterative depth-first search: a chain of thousands of fragments cannot exhaust the stack. A spread
    back into a fragment being measured (a cycle, refused by validation) counts as one level."""
    depth: dict[str, int] = {}
    for start in operations:
        stack = [(start, iter(spreads[start]))]
        visiting = {start}
        while stack:
            key, pending = stack[-1]
            name = next(
                (n for _, n in pending if n in spreads and n not in depth and n not in visiting), None
            )
            if name is not None:
                stack.append((name, iter(spreads[name])))
                visiting.add(name)
                continue
            stack.pop()
            visiting.discard(key)
            depth[key] = max([own_depth[key], *(level + depth.get(n, 0) for level, n in spreads[key])])
    return max((depth[key] for key in operations), default=0)


# One worker: parsing and validating hold the GIL, so more threads would not go faster, and with one
# the event loop competes with a single thread for the GIL (it gets it back within the 5 ms switch
# interval) whatever the number of GraphQL requests in flight.
_worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tandem-graphql")


async def off_loop(function: Callable[..., T], *args: Any) -> T:
    """Run CPU-bound GraphQL work (parse, validate, shape) off the event loop, in the request's context."""
    context = contextvars.copy_context()
    call = functools.partial(context.run, function, *args)
    return await asyncio.get_running_loop().run_in_executor(_worker, call)


def check_body_length(request: Request, limits: GraphQLLimits) -> None:
    """A POST body must declare its length, within `max_body_bytes`: checked before it is read."""
    if request.method != "POST":
        return
    declared = request.headers.get("content-length")
    if declared is None:
        raise LengthRequired("A GraphQL POST needs a Content-Length header.")
    if not declared.isdigit() or int(declared) > limits.max_body_bytes:
        raise ContentTooLarge(
            f"The body is larger than the limit of {limits.max_body_bytes} bytes.",
            max_bytes=limits.max_body_bytes,
        )


def decode_json_body(body: bytes | str) -> Any:
    """`json.loads`, with nesting too deep for the decoder (RecursionError) a 400 like any bad JSON."""
    try:
        return json.loads(body)
    except RecursionError as exc:
        raise BadRequest("The JSON body is nested too deeply.", pointer="#/") from exc
    except ValueError as exc:
        raise BadRequest("The body must be a JSON GraphQL request.", pointer="#/") from exc


class _LimitsExtension(SchemaExtension):
    """Parses and checks the document, then validates it, in the GraphQL worker thread.

    strawberry parses only when no extension has (`graphql_document` unset) and validates only when
    no extension has (`pre_execution_errors` unset); a refusal raised here becomes a GraphQL error."""

    limits: ClassVar[GraphQLLimits]

    async def on_parse(self) -> AsyncIterator[None]:
        context = self.execution_context
        if context.graphql_document is None and context.query:
            context.graphql_document = await off_loop(parse_within, context.query, self.limits)
        yield

    async def on_validate(self) -> AsyncIterator[None]:
        context = self.execution_context
        if context.pre_execution_errors is None and context.graphql_document is not None:
            context.pre_execution_errors = await off_loop(
                validate_document,
                context.schema._schema,
                context.graphql_document,
                context.validation_rules,
            )
        yield


def problem_extensions(error: ProblemError) -> dict[str, Any]:
    """The RFC 9457 members of a problem, for a GraphQL error's `extensions` (what REST would answer)."""
    body: dict[str, Any] = {"type": PROBLEM_BASE + error.code, "title": error.title, "status": error.status}
    if error.detail:
        body["detail"] = error.detail
    body.update(error.extensions)
    return body


class ProblemDetails(SchemaExtension):
    """A `ProblemError` a resolver raised (a mutation refused, a 404, a missing scope) becomes a GraphQL
    error whose `extensions` carry the same problem REST answers: `status`, `type`, `title`, `detail`
    and, for bad input, `errors` naming each field."""

    def on_execute(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        for error in (result.errors if result is not None else None) or ():
            original = error.original_error
            if isinstance(original, ProblemError):
                error.extensions = {**(error.extensions or {}), **problem_extensions(original)}


if TYPE_CHECKING:
    JSONInput = dict[str, Any]
else:
    # A mutation argument that takes the same JSON object as the REST body (validated by `graphql_input`);
    # typed as a dict for mypy, which cannot use strawberry's scalar variable as a type.
    JSONInput = strawberry.scalars.JSON


def graphql_input(model: type[M], argument: str, data: Mapping[str, Any]) -> M:
    """Build a mutation's input model; invalid input is a 422 problem whose `errors` point into the
    argument (`#/<argument>/<field>`), as REST points into the body."""
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        errors = [
            {
                "detail": e.get("msg", "invalid"),
                "code": e.get("type", "invalid"),
                "pointer": json_pointer([argument, *e.get("loc", ())]),
            }
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"pointer": f"#/{argument}", "detail": "invalid"}
        raise Unprocessable(f"Invalid value at {first['pointer']}: {first['detail']}", errors=errors) from exc


@strawberry.type(description="One page of a longer list (the same convention as REST's `limit`/`offset`).")
class Page(Generic[T]):
    items: list[T] = strawberry.field(description="The items on this page.")
    total: int = strawberry.field(description="How many items there are in all.")
    limit: int = strawberry.field(description="Page size asked for.")
    offset: int = strawberry.field(description="How many items come before this page.")


def page_params(limit: int, offset: int) -> PageParams:
    """A GraphQL list's `limit` (1..500) and `offset` (>= 0), checked as REST checks its query."""
    if not 1 <= limit <= MAX_LIMIT:
        raise Unprocessable(
            f"limit must be between 1 and {MAX_LIMIT}.",
            errors=[{"detail": f"between 1 and {MAX_LIMIT}", "code": "out_of_range", "parameter": "limit"}],
        )
    if not 0 <= offset <= MAX_OFFSET:
        raise Unprocessable(
            "offset must not be negative.",
            errors=[{"detail": "0 or more", "code": "out_of_range", "parameter": "offset"}],
        )
    return PageParams(limit=limit, offset=offset)


def graphql_page(rows: Sequence[Any], total: int, params: PageParams, item: Callable[[Any], T]) -> Page[T]:
    """A `Page` of GraphQL objects from one page of rows (`tandem_kit.pagination.fetch_page`)."""
    return Page(items=[item(r) for r in rows], total=total, limit=params.limit, offset=params.offset)


class LimitedGraphQLRouter(TextSafeGraphQLRouter):
    """strawberry's router on a copy of `schema` whose documents are bounded by `limits` before they
    are validated, parsed and validated off the event loop; JSON nested too deeply is a 400, a NUL
    in the variables or the query a 422."""

    def __init__(self, schema: strawberry.Schema, *, limits: GraphQLLimits, **options: Any) -> None:
        extension = type("GraphQLLimits", (_LimitsExtension,), {"limits": limits})
        # A copy: the module-level schema stays usable as is (tests and SDL export run it directly).
        limited = copy.copy(schema)
        limited.extensions = [extension, ProblemDetails, *schema.extensions]
        super().__init__(limited, **options)

    def decode_json(self, data: str | bytes) -> object:
        return decode_json_body(data)
