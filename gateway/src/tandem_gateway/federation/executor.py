"""Execute a client operation across subgraphs: bound, validate, limit, plan, fetch in waves, shape.

Fetching goes level by level: every fetch of one wave runs concurrently, and the `_entities` work a wave
produces for one subgraph is sent as ONE request (one aliased `_entities` field per distinct selection,
representations deduplicated). The merged raw data is then shaped by graphql-core's own executor run on
the API schema with a resolver that reads response keys, so field order, `__typename`, introspection,
null propagation and scalar serialization follow the GraphQL spec exactly.
"""

from __future__ import annotations

import asyncio
import copy
import json
import re
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import structlog
from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLResolveInfo,
    OperationDefinitionNode,
    OperationType,
    VariableDefinitionNode,
    execute,
    get_operation_ast,
    print_ast,
    print_schema,
    validate,
)
from graphql.execution.values import get_variable_values
from graphql.language import Visitor, visit

from tandem_gateway.federation.compose import Supergraph
from tandem_gateway.federation.limits import GATEWAY_LIMITS, measure
from tandem_gateway.federation.planner import (
    INTERNAL_PREFIX,
    TYPENAME_KEY,
    EntityFetch,
    PathStep,
    Planner,
    QueryPlan,
    RootFetch,
    UnsupportedOperationError,
    key_alias,
)
from tandem_kit.graphql import GraphQLLimits, off_loop, parse_within

__all__ = ["FederatedExecutor", "Fetch"]

log = structlog.get_logger("tandem.gateway.federation")

Fetch = Callable[[str, str, dict[str, Any] | None], Awaitable[dict[str, Any]]]
Path = list[str | int]
Target = tuple[dict[str, Any], Path]


class FederatedExecutor:
    """Answers client operations against the composed API schema by calling subgraphs through `fetch`.

    `limits` bound the document before it is validated; parsing, validation, planning and shaping run
    in the GraphQL worker thread (`tandem_kit.graphql.off_loop`), so the event loop stays free."""

    def __init__(
        self,
        supergraph: Supergraph,
        fetch: Fetch,
        *,
        max_depth: int = 12,
        max_cost: int = 5000,
        limits: GraphQLLimits = GATEWAY_LIMITS,
    ) -> None:
        self.supergraph = supergraph
        self.fetch = fetch
        self.max_depth = max_depth
        self.max_cost = max_cost
        self.limits = limits

    def sdl(self) -> str:
        return print_schema(self.supergraph.api_schema)

    async def execute(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        operation_name: str | None = None,
    ) -> dict[str, Any]:
        prepared = await off_loop(self._prepare, query, variables, operation_name)
        if not isinstance(prepared, _Prepared):
            return prepared
        run = _Run(self.fetch, prepared.operation, variables or {})
        await run.run(prepared.plan)
        return await off_loop(_shape, self.supergraph, prepared.document, operation_name, variables, run)

    def _prepare(
        self, query: str, variables: dict[str, Any] | None, operation_name: str | None
    ) -> _Prepared | dict[str, Any]:
        """Everything before the first fetch: the plan, or the response that refuses the operation."""
        schema = self.supergraph.api_schema
        try:
            document = parse_within(query, self.limits)
        except GraphQLError as exc:
            return {"errors": [exc.formatted]}
        validation_errors = validate(schema, document)
        if validation_errors:
            return {"errors": [e.formatted for e in validation_errors]}
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            message = (
                f"Unknown operation named {operation_name!r}."
                if operation_name
                else "Must provide operation name if query contains multiple operations."
            )
            return {"errors": [{"message": message}]}
        fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        refused = self._check_limits(operation, fragments) or _check_reserved_names(document)
        if refused is not None:
            return {"errors": [refused]}
        coerced = get_variable_values(schema, operation.variable_definitions or (), variables or {})
        if isinstance(coerced, list):
            return {"errors": [e.formatted for e in coerced]}
        try:
            plan = Planner(self.supergraph, fragments, coerced).plan(operation)
        except UnsupportedOperationError as exc:
            return {"errors": [_unsupported(str(exc))]}
        return _Prepared(document, operation, plan)

    def _check_limits(
        self, operation: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode]
    ) -> dict[str, Any] | None:
        size = measure(self.supergraph.api_schema, operation, fragments)
        if size.depth > self.max_depth:
            return {
                "message": f"Query depth {size.depth} exceeds the limit of {self.max_depth}",
                "extensions": {"code": "QUERY_TOO_DEEP", "depth": size.depth, "maxDepth": self.max_depth},
            }
        if size.cost > self.max_cost:
            return {
                "message": f"Query cost {size.cost} exceeds the limit of {self.max_cost}",
                "extensions": {"code": "QUERY_TOO_COSTLY", "cost": size.cost, "maxCost": self.max_cost},
            }
        return None


@dataclass(frozen=True)
class _Prepared:
    document: DocumentNode
    operation: OperationDefinitionNode
    plan: QueryPlan


def _unsupported(message: str) -> dict[str, Any]:
    return {"message": message, "extensions": {"code": "UNSUPPORTED_BY_EXECUTOR"}}


def _check_reserved_names(document: DocumentNode) -> dict[str, Any] | None:
    reserved: list[str] = []

    class Finder(Visitor):
        def enter_field(self, node: FieldNode, *_: Any) -> None:
            if node.alias is not None and node.alias.value.startswith(INTERNAL_PREFIX):
                reserved.append(node.alias.value)

        def enter_variable_definition(self, node: VariableDefinitionNode, *_: Any) -> None:
            if node.variable.name.value.startswith(INTERNAL_PREFIX):
                reserved.append("$" + node.variable.name.value)

    visit(document, Finder())
    if reserved:
        return _unsupported(
            f"Names starting with {INTERNAL_PREFIX!r} are reserved by the gateway: {', '.join(reserved)}"
        )
    return None


@dataclass
class _Group:
    """Entity fetches of one wave with the same type and selection: one aliased `_entities` field."""

    fetch: EntityFetch
    representations: list[dict[str, Any]] = field(default_factory=list)
    targets: list[list[Target]] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)

    def add(self, target: Target) -> None:
        obj, _ = target
        representation: dict[str, Any] = {"__typename": self.fetch.type_name}
        for key_field in self.fetch.key_fields:
            value = obj.get(key_alias(key_field))
            if value is None:
                return
            representation[key_field] = value
        marker = json.dumps(representation, sort_keys=True, default=str)
        position = self.index.get(marker)
        if position is None:
            position = self.index[marker] = len(self.representations)
            self.representations.append(representation)
            self.targets.append([])
        self.targets[position].append(target)


class _Run:
    """The state of one execution: merged raw data, errors, and the paths whose null an error explains."""

    def __init__(self, fetch: Fetch, operation: OperationDefinitionNode, variables: dict[str, Any]) -> None:
        self.fetch = fetch
        self.operation = operation
        self.variables = variables
        self.root: dict[str, Any] = {}
        self.errors: list[dict[str, Any]] = []
        self.explained: set[tuple[str | int, ...]] = set()
        self.requests = 0

    async def run(self, plan: QueryPlan) -> None:
        self.root[TYPENAME_KEY] = plan.root_type
        if plan.operation == OperationType.QUERY:
            await self._root_wave(plan.fetches)
        else:
            for fetch in plan.fetches:
                await self._root_wave([fetch])

    async def _root_wave(self, fetches: list[RootFetch]) -> None:
        await asyncio.gather(*(self._root_fetch(f) for f in fetches))
        wave: list[tuple[EntityFetch, list[Target]]] = []
        for fetch in fetches:
            wave.extend(_next_wave(fetch.children, [(self.root, [])]))
        while wave:
            by_subgraph: dict[str, list[tuple[EntityFetch, list[Target]]]] = {}
            for item in wave:
                by_subgraph.setdefault(item[0].subgraph, []).append(item)
            await asyncio.gather(*(self._entity_request(s, items) for s, items in by_subgraph.items()))
            wave = [n for fetch, targets in wave for n in _next_wave(fetch.children, targets)]

    async def _call(self, subgraph: str, query: str, variables: dict[str, Any]) -> dict[str, Any] | None:
        self.requests += 1
        try:
            response = await self.fetch(subgraph, query, variables or None)
        except Exception as exc:
            # Any failure of one subgraph must become an error in the response, never a failed request.
            log.warning("gateway.federation.fetch_failed", subgraph=subgraph, error=repr(exc))
            return None
        if not isinstance(response, dict):
            log.warning("gateway.federation.bad_response", subgraph=subgraph)
            return None
        return response

    def _operation_text(self, kind: str, subgraph: str, definitions: list[str], body: str) -> str:
        name = ""
        if self.operation.name is not None:
            name = " " + re.sub(r"\W", "_", f"{self.operation.name.value}__{subgraph}__{self.requests}")
        header = f"({', '.join(definitions)})" if definitions else ""
        return f"{kind}{name}{header} {body}"

    def _client_variables(self, names: set[str] | frozenset[str]) -> tuple[list[str], dict[str, Any]]:
        definitions = [
            print_ast(d) for d in self.operation.variable_definitions or () if d.variable.name.value in names
        ]
        values = {n: self.variables[n] for n in sorted(names) if n in self.variables}
        return definitions, values

    async def _root_fetch(self, fetch: RootFetch) -> None:
        definitions, values = self._client_variables(fetch.variables)
        query = self._operation_text(
            self.operation.operation.value, fetch.subgraph, definitions, fetch.selection
        )
        response = await self._call(fetch.subgraph, query, values)
        everything: list[Path] = [[key] for key in fetch.provided]
        data = response.get("data") if response else None
        if response is None or not isinstance(data, dict):
            # A root query's paths are the client's own (same fields, same aliases): keep them.
            self._fail(fetch.subgraph, response, everything, client_paths=True)
            return
        _merge(self.root, data)
        for error in response.get("errors") or ():
            path = error.get("path") if isinstance(error, dict) else None
            self._add_error(fetch.subgraph, error, [path] if isinstance(path, list) else None)

    async def _entity_request(self, subgraph: str, items: list[tuple[EntityFetch, list[Target]]]) -> None:
        groups: dict[tuple[str, str], _Group] = {}
        for fetch, targets in items:
            group = groups.setdefault((fetch.type_name, fetch.selection), _Group(fetch))
            for target in targets:
                group.add(target)
        used = [g for g in groups.values() if g.representations]
        if not used:
            return
        names: set[str] = set()
        for g in used:
            names |= g.fetch.variables
        definitions, values = self._client_variables(names)
        fields = []
        for i, g in enumerate(used):
            definitions.append(f"${INTERNAL_PREFIX}r{i}: [_Any!]!")
            values[f"{INTERNAL_PREFIX}r{i}"] = g.representations
            fields.append(
                f"{INTERNAL_PREFIX}e{i}: _entities(representations: ${INTERNAL_PREFIX}r{i})"
                f" {{ ... on {g.fetch.type_name} {g.fetch.selection} }}"
            )
        query = self._operation_text("query", subgraph, definitions, "{ " + " ".join(fields) + " }")
        response = await self._call(subgraph, query, values)
        data = response.get("data") if response else None
        if response is None or not isinstance(data, dict):
            self._fail(
                subgraph, response, [p for g in used for p in _provided_paths(g, range(len(g.targets)))]
            )
            return
        has_errors = bool(response.get("errors"))
        for i, g in enumerate(used):
            entities = data.get(f"{INTERNAL_PREFIX}e{i}")
            if not isinstance(entities, list) or len(entities) != len(g.representations):
                self._fail(subgraph, None, list(_provided_paths(g, range(len(g.targets)))))
                continue
            for position, entity in enumerate(entities):
                if isinstance(entity, dict):
                    for n, (obj, _) in enumerate(g.targets[position]):
                        _merge(obj, entity if n == 0 else copy.deepcopy(entity))
                elif has_errors:
                    self.explained.update(tuple(p) for p in _provided_paths(g, [position]))
        for error in response.get("errors") or ():
            self._add_error(subgraph, error, _entity_error_paths(error, used))

    def _fail(
        self, subgraph: str, response: dict[str, Any] | None, paths: list[Path], *, client_paths: bool = False
    ) -> None:
        """A subgraph returned no data: null for everything this request should have provided, plus why.

        `client_paths`: the subgraph's error paths are already the client's (a root fetch); an entity
        fetch's are the gateway's own `_entities` paths and are dropped."""
        self.explained.update(tuple(p) for p in paths)
        errors = (response or {}).get("errors") or []
        for error in errors:
            path = error.get("path") if client_paths and isinstance(error, dict) else None
            self.errors.append(_client_error(subgraph, error, path if isinstance(path, list) else None))
        if not errors:
            self.errors.append(
                {
                    "message": f"Subgraph {subgraph!r} could not be reached or gave an invalid response",
                    "extensions": {"code": "SUBGRAPH_FETCH_FAILED", "serviceName": subgraph},
                }
            )

    def _add_error(self, subgraph: str, error: Any, paths: list[Path] | None) -> None:
        if not paths:
            self.errors.append(_client_error(subgraph, error, None))
            return
        for path in paths:
            self.errors.append(_client_error(subgraph, error, path))
            # The null at the error's path, and any null it propagated to above, is explained.
            self.explained.update(tuple(path[:n]) for n in range(1, len(path) + 1))


def _client_error(subgraph: str, error: Any, path: Path | None) -> dict[str, Any]:
    message = error.get("message") if isinstance(error, dict) else None
    result: dict[str, Any] = {
        "message": message if isinstance(message, str) else f"Error in subgraph {subgraph!r}"
    }
    if path is not None:
        result["path"] = path
    extensions = error.get("extensions") if isinstance(error, dict) else None
    result["extensions"] = {**(extensions if isinstance(extensions, dict) else {}), "serviceName": subgraph}
    return result


def _entity_error_paths(error: Any, groups: list[_Group]) -> list[Path] | None:
    """Rewrite `[_gw_eN, i, ...rest]` to the client path of every object that representation i came from."""
    path = error.get("path") if isinstance(error, dict) else None
    if not isinstance(path, list) or len(path) < 2 or not isinstance(path[1], int):
        return None
    match = re.fullmatch(rf"{INTERNAL_PREFIX}e(\d+)", str(path[0]))
    if match is None or int(match.group(1)) >= len(groups):
        return None
    group = groups[int(match.group(1))]
    if path[1] >= len(group.targets):
        return None
    rest = [p for p in path[2:] if isinstance(p, str | int)]
    if not rest:
        # The entity itself failed: the error belongs to the fields this fetch was to provide.
        return [[*target_path, group.fetch.provided[0]] for _, target_path in group.targets[path[1]]]
    return [[*target_path, *rest] for _, target_path in group.targets[path[1]]]


def _provided_paths(group: _Group, positions: Any) -> Iterator[Path]:
    for position in positions:
        for _, target_path in group.targets[position]:
            for key in group.fetch.provided:
                yield [*target_path, key]


def _next_wave(children: list[EntityFetch], targets: list[Target]) -> list[tuple[EntityFetch, list[Target]]]:
    wave = []
    for child in children:
        found = [
            (obj, path)
            for parent, parent_path in targets
            for obj, path in _walk(parent, child.path, parent_path)
            if obj.get(TYPENAME_KEY) == child.type_name
        ]
        if found:
            wave.append((child, found))
    return wave


def _walk(obj: Any, steps: tuple[PathStep, ...], path: Path) -> Iterator[Target]:
    if not isinstance(obj, dict):
        return
    if not steps:
        yield obj, path
        return
    (type_name, key), rest = steps[0], steps[1:]
    if obj.get(TYPENAME_KEY) != type_name:
        return
    yield from _walk_value(obj.get(key), rest, [*path, key])


def _walk_value(value: Any, steps: tuple[PathStep, ...], path: Path) -> Iterator[Target]:
    if isinstance(value, list):
        for i, item in enumerate(value):
            yield from _walk_value(item, steps, [*path, i])
    else:
        yield from _walk(value, steps, path)


def _merge(target: dict[str, Any], source: dict[str, Any]) -> None:
    for key, value in source.items():
        current = target.get(key)
        if isinstance(current, dict) and isinstance(value, dict):
            _merge(current, value)
        elif isinstance(current, list) and isinstance(value, list) and len(current) == len(value):
            _merge_lists(current, value)
        else:
            target[key] = value


def _merge_lists(target: list[Any], source: list[Any]) -> None:
    for i, (current, value) in enumerate(zip(target, source, strict=True)):
        if isinstance(current, dict) and isinstance(value, dict):
            _merge(current, value)
        elif isinstance(current, list) and isinstance(value, list) and len(current) == len(value):
            _merge_lists(current, value)
        else:
            target[i] = value


class _Explained(Exception):
    """A null already explained by a subgraph error: let graphql-core propagate it, drop its message."""


def _shape(
    supergraph: Supergraph,
    document: DocumentNode,
    operation_name: str | None,
    variables: dict[str, Any] | None,
    run: _Run,
) -> dict[str, Any]:
    def resolve(source: Any, info: GraphQLResolveInfo, **_: Any) -> Any:
        value = source.get(info.path.key) if isinstance(source, dict) else None
        if value is None and tuple(info.path.as_list()) in run.explained:
            raise _Explained
        return value

    def resolve_type(value: Any, *_: Any) -> str | None:
        return value.get(TYPENAME_KEY) if isinstance(value, dict) else None

    result = execute(
        supergraph.api_schema,
        document,
        root_value=run.root,
        variable_values=variables,
        operation_name=operation_name,
        field_resolver=resolve,
        type_resolver=resolve_type,
    )
    assert isinstance(result, ExecutionResult)  # every resolver is synchronous
    errors = list(run.errors)
    errors.extend(
        dict(e.formatted) for e in result.errors or () if not isinstance(e.original_error, _Explained)
    )
    response: dict[str, Any] = {}
    if errors:
        response["errors"] = errors
    response["data"] = result.data
    return response
