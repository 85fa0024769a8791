"""Turn one validated client operation into a static tree of subgraph fetches.

The plan is built completely before any subgraph is called, so an operation the executor cannot serve
fails as a whole instead of half-way. Fields are collected per concrete runtime type (fragments, aliases,
@skip/@include evaluated against the client's variables), so abstract types and fragments never reach a
subgraph: each subgraph query is plain fields and `... on Type` blocks.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from graphql import (
    ArgumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLCompositeType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    OperationType,
    ValueNode,
    VariableNode,
    get_named_type,
    is_composite_type,
    print_ast,
)
from graphql.execution.collect_fields import collect_fields, collect_sub_fields

from tandem_gateway.federation.compose import Supergraph

__all__ = [
    "INTERNAL_PREFIX",
    "TYPENAME_KEY",
    "EntityFetch",
    "PathStep",
    "Planner",
    "QueryPlan",
    "RootFetch",
    "UnsupportedOperationError",
    "key_alias",
]

# Response keys the planner adds to subgraph queries; client aliases and variables may not use it.
INTERNAL_PREFIX = "_gw_"
TYPENAME_KEY = "_gw_t"

# (type the object must have, response key to follow): one step from a fetch's insert point.
PathStep = tuple[str, str]


class UnsupportedOperationError(Exception):
    """The operation is valid against the API schema but this executor cannot plan it."""


def key_alias(field_name: str) -> str:
    return f"{INTERNAL_PREFIX}k_{field_name}"


@dataclass
class EntityFetch:
    """`_entities` on `subgraph` for every object of `type_name` found at `path` under the parent's targets."""

    subgraph: str
    type_name: str
    selection: str
    variables: frozenset[str]
    path: tuple[PathStep, ...]
    key_fields: tuple[str, ...]
    provided: tuple[str, ...]
    children: list[EntityFetch] = field(default_factory=list)


@dataclass
class RootFetch:
    """Root fields of one subgraph, sent as one operation."""

    subgraph: str
    selection: str
    variables: frozenset[str]
    provided: tuple[str, ...]
    children: list[EntityFetch] = field(default_factory=list)


@dataclass
class QueryPlan:
    operation: OperationType
    root_type: str
    # Query fetches run concurrently; mutation fetches run one after the other, in field order.
    fetches: list[RootFetch]


class Planner:
    def __init__(
        self,
        supergraph: Supergraph,
        fragments: dict[str, FragmentDefinitionNode],
        variable_values: dict[str, object],
    ) -> None:
        self.supergraph = supergraph
        self.schema: GraphQLSchema = supergraph.api_schema
        self.fragments = fragments
        self.variable_values = variable_values

    def plan(self, operation: OperationDefinitionNode) -> QueryPlan:
        if operation.operation == OperationType.SUBSCRIPTION:
            raise UnsupportedOperationError("Subscriptions are not supported by the gateway executor")
        root_type = self.schema.get_root_type(operation.operation)
        if root_type is None:  # validation has already refused this; kept for the type checker
            raise UnsupportedOperationError(f"The schema has no {operation.operation.value} type")
        fields = collect_fields(
            self.schema, self.fragments, self.variable_values, root_type, operation.selection_set
        )
        groups: list[tuple[str, dict[str, list[FieldNode]]]] = []
        for key, nodes in fields.items():
            name = nodes[0].name.value
            if name.startswith("__"):
                continue  # __typename, __schema and __type are answered from the API schema
            owners = self.supergraph.field_owners[(root_type.name, name)]
            if operation.operation == OperationType.QUERY:
                used = [g for g in groups if g[0] in owners]
                if used:
                    used[0][1][key] = nodes
                    continue
            elif groups and groups[-1][0] in owners:
                # Consecutive mutation fields of one subgraph go in one request; the subgraph runs them in order.
                groups[-1][1][key] = nodes
                continue
            groups.append((owners[0], {key: nodes}))
        fetches = []
        for subgraph, group in groups:
            children: list[EntityFetch] = []
            variables: set[str] = set()
            body = [
                self._render_field(subgraph, root_type, key, nodes, (), children, variables)
                for key, nodes in group.items()
            ]
            fetches.append(
                RootFetch(
                    subgraph=subgraph,
                    selection="{ " + " ".join(body) + " }",
                    variables=frozenset(variables),
                    provided=tuple(group),
                    children=children,
                )
            )
        return QueryPlan(operation=operation.operation, root_type=root_type.name, fetches=fetches)

    def _render_selection(
        self,
        subgraph: str,
        parent: GraphQLCompositeType,
        field_nodes: list[FieldNode],
        path: tuple[PathStep, ...],
        children: list[EntityFetch],
        variables: set[str],
    ) -> str:
        parts = [f"{TYPENAME_KEY}: __typename"]
        for runtime_type in self._runtime_types(subgraph, parent):
            fields = collect_sub_fields(
                self.schema, self.fragments, self.variable_values, runtime_type, field_nodes
            )
            body = self._render_fields(subgraph, runtime_type, fields, path, children, variables)
            if runtime_type is parent:
                parts.extend(body)
            elif body:
                parts.append(f"... on {runtime_type.name} {{ {' '.join(body)} }}")
        return "{ " + " ".join(parts) + " }"

    def _runtime_types(self, subgraph: str, parent: GraphQLCompositeType) -> list[GraphQLObjectType]:
        if isinstance(parent, GraphQLObjectType):
            return [parent]
        assert isinstance(parent, GraphQLInterfaceType | GraphQLUnionType)
        # Only types the subgraph itself knows as members can come back from it.
        known = self.supergraph.possible_types[subgraph].get(parent.name, frozenset())
        return [t for t in self.schema.get_possible_types(parent) if t.name in known]

    def _render_fields(
        self,
        subgraph: str,
        parent: GraphQLObjectType,
        fields: dict[str, list[FieldNode]],
        path: tuple[PathStep, ...],
        children: list[EntityFetch],
        variables: set[str],
    ) -> list[str]:
        out: list[str] = []
        jumps: dict[str, dict[str, list[FieldNode]]] = {}
        for key, nodes in fields.items():
            name = nodes[0].name.value
            if name.startswith("__"):
                continue
            if self.supergraph.can_resolve(subgraph, parent.name, name):
                out.append(self._render_field(subgraph, parent, key, nodes, path, children, variables))
            else:
                target = self._jump_target(subgraph, parent.name, name, prefer=jumps)
                jumps.setdefault(target, {})[key] = nodes
        for target, jump_fields in jumps.items():
            key_fields = self.supergraph.entity_keys[parent.name][target]
            for key_field in key_fields:
                alias = f"{key_alias(key_field)}: {key_field}"
                if alias not in out:
                    out.append(alias)
            children.append(self._entity_fetch(target, parent, jump_fields, path, key_fields))
        return out

    def _entity_fetch(
        self,
        subgraph: str,
        entity: GraphQLObjectType,
        fields: dict[str, list[FieldNode]],
        path: tuple[PathStep, ...],
        key_fields: tuple[str, ...],
    ) -> EntityFetch:
        children: list[EntityFetch] = []
        variables: set[str] = set()
        body = self._render_fields(subgraph, entity, fields, (), children, variables)
        return EntityFetch(
            subgraph=subgraph,
            type_name=entity.name,
            selection="{ " + " ".join([f"{TYPENAME_KEY}: __typename", *body]) + " }",
            variables=frozenset(variables),
            path=path,
            key_fields=key_fields,
            provided=tuple(fields),
            children=children,
        )

    def _jump_target(
        self, subgraph: str, type_name: str, field_name: str, *, prefer: dict[str, dict[str, list[FieldNode]]]
    ) -> str:
        """A subgraph that resolves `type_name.field_name` from a key the current subgraph can provide."""
        known = self.supergraph.subgraph_fields[subgraph].get(type_name, frozenset())
        keys = self.supergraph.entity_keys.get(type_name, {})
        candidates = [
            owner
            for owner in self.supergraph.field_owners.get((type_name, field_name), ())
            if owner in keys and all(k in known for k in keys[owner])
        ]
        if not candidates:
            raise UnsupportedOperationError(
                f"Field {type_name}.{field_name} cannot be fetched after subgraph {subgraph!r}:"
                f" no subgraph resolving it accepts a {type_name} key that {subgraph!r} returns"
            )
        already = [c for c in candidates if c in prefer]
        return (already or candidates)[0]

    def _render_field(
        self,
        subgraph: str,
        parent: GraphQLObjectType,
        key: str,
        nodes: list[FieldNode],
        path: tuple[PathStep, ...],
        children: list[EntityFetch],
        variables: set[str],
    ) -> str:
        node = nodes[0]
        name = node.name.value
        text = name if key == name else f"{key}: {name}"
        if node.arguments:
            text += "(" + ", ".join(print_ast(a) for a in node.arguments) + ")"
            variables.update(_variables_in(node.arguments))
        return_type = get_named_type(parent.fields[name].type)
        if is_composite_type(return_type):
            assert isinstance(return_type, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType)
            text += " " + self._render_selection(
                subgraph, return_type, nodes, (*path, (parent.name, key)), children, variables
            )
        return text


def _variables_in(arguments: tuple[ArgumentNode, ...]) -> Iterator[str]:
    stack: list[ValueNode] = [a.value for a in arguments]
    while stack:
        value = stack.pop()
        if isinstance(value, VariableNode):
            yield value.name.value
        elif isinstance(value, ListValueNode):
            stack.extend(value.values)
        elif isinstance(value, ObjectValueNode):
            stack.extend(f.value for f in value.fields)
