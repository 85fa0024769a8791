"""Static depth and cost of an operation, measured before anything is fetched (after validation; the
document's size was bounded before it, see GATEWAY_LIMITS).

Depth counts nested fields (a root field is depth 1; fragments add none). Cost counts every field as 1
and multiplies what is selected under a list field by LIST_MULTIPLIER, so `matches { id score }` costs
1 + 10 * 2 = 21. @skip/@include are ignored (the bound holds for every variable value) and
introspection fields (`__schema`, `__type`) are free: they are answered locally from the API schema.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    get_nullable_type,
    is_list_type,
)

from tandem_kit.graphql import GraphQLLimits

__all__ = ["GATEWAY_LIMITS", "LIST_MULTIPLIER", "Measure", "measure"]

LIST_MULTIPLIER = 10
# Checked before validation (tandem_kit.graphql). Tighter than a subgraph's defaults: the gateway's
# queries to the subgraphs add internal aliases and `... on Type` blocks to what the client wrote.
GATEWAY_LIMITS = GraphQLLimits(
    max_body_bytes=131_072,
    max_query_length=32_768,
    max_tokens=5_000,
    max_fields=250,
    max_aliases=100,
    max_depth=32,
)
INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})


@dataclass(frozen=True)
class Measure:
    depth: int
    cost: int


def measure(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
) -> Measure:
    root = schema.get_root_type(operation.operation)
    return _Measurer(schema, fragments).selection_set(operation.selection_set, root)


class _Measurer:
    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.schema = schema
        self.fragments = fragments
        # A fragment's measure does not depend on where it is spread, so each is computed once:
        # this keeps fragments spread inside fragments ("fragment bombs") linear to measure.
        self.memo: dict[str, Measure] = {}

    def selection_set(self, selection_set: SelectionSetNode, parent: GraphQLNamedType | None) -> Measure:
        depth = 0
        cost = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                child = self.field(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                child = self.selection_set(
                    selection.selection_set,
                    self.schema.get_type(condition.name.value) if condition else parent,
                )
            elif isinstance(selection, FragmentSpreadNode):
                child = self.fragment(selection.name.value)
            else:  # pragma: no cover - the AST has no other selection kinds
                continue
            depth = max(depth, child.depth)
            cost += child.cost
        return Measure(depth, cost)

    def field(self, node: FieldNode, parent: GraphQLNamedType | None) -> Measure:
        name = node.name.value
        if name in INTROSPECTION_FIELDS:
            return Measure(0, 0)
        definition = None
        if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            definition = parent.fields.get(name)
        if node.selection_set is None or definition is None:
            return Measure(1, 1)
        inner = self.selection_set(node.selection_set, get_named_type(definition.type))
        multiplier = LIST_MULTIPLIER if is_list_type(get_nullable_type(definition.type)) else 1
        return Measure(1 + inner.depth, 1 + multiplier * inner.cost)

    def fragment(self, name: str) -> Measure:
        known = self.memo.get(name)
        if known is not None:
            return known
        fragment = self.fragments.get(name)
        if fragment is None:
            return Measure(0, 0)
        self.memo[name] = Measure(0, 0)  # guards cycles; validation has refused them already
        result = self.selection_set(
            fragment.selection_set, self.schema.get_type(fragment.type_condition.name.value)
        )
        self.memo[name] = result
        return result
