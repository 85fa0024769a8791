"""Compose Apollo Federation v2 subgraph SDLs into one API schema plus the ownership maps the planner needs.

The rules are a deliberate subset of Apollo's composition: what they reject, they reject with a message that
names the type, the field and the subgraphs, so a subgraph author can fix it without reading this code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DirectiveNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    FieldDefinitionNode,
    GraphQLError,
    GraphQLSchema,
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    ListTypeNode,
    NamedTypeNode,
    NameNode,
    NonNullTypeNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    ScalarTypeDefinitionNode,
    ScalarTypeExtensionNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    StringValueNode,
    TypeDefinitionNode,
    TypeExtensionNode,
    TypeNode,
    UnionTypeDefinitionNode,
    UnionTypeExtensionNode,
    build_ast_schema,
    parse,
    print_ast,
    validate_schema,
    value_from_ast_untyped,
)

__all__ = ["CompositionError", "Supergraph", "compose"]

FEDERATION_SPEC = "specs.apollo.dev/federation/"
LINK_SPEC = "specs.apollo.dev/link/"
BUILTIN_SCALARS = frozenset({"String", "Int", "Float", "Boolean", "ID"})
# Types and root fields every federation subgraph exposes for the router only.
INTERNAL_TYPES = frozenset({"_Any", "_Entity", "_Service", "_FieldSet", "FieldSet", "_Query"})
INTERNAL_ROOT_FIELDS = frozenset({"_entities", "_service"})
DEFAULT_ROOT_NAMES = {"query": "Query", "mutation": "Mutation", "subscription": "Subscription"}
# Directives that change how a field is resolved across subgraphs; the executor does not plan them,
# so composing them would give wrong answers. Access-control directives are refused for the same reason:
# silently dropping them would open data the subgraph author meant to close.
UNSUPPORTED_DIRECTIVES = frozenset(
    {
        "requires",
        "provides",
        "override",
        "interfaceObject",
        "fromContext",
        "context",
        "authenticated",
        "requiresScopes",
        "policy",
        "composeDirective",
    }
)
KEPT_API_DIRECTIVES = frozenset({"deprecated", "specifiedBy", "oneOf"})


class CompositionError(Exception):
    """The subgraphs cannot be composed; `errors` lists every problem found."""

    def __init__(self, errors: Iterable[str]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


@dataclass(frozen=True, eq=False)
class Supergraph:
    """The composed API schema and, per subgraph, what it can resolve."""

    api_schema: GraphQLSchema
    subgraphs: tuple[str, ...]
    # (type, field) -> subgraphs able to resolve it, the preferred one first.
    field_owners: Mapping[tuple[str, str], tuple[str, ...]]
    # entity type -> subgraph -> the key fields that subgraph's `_entities` accepts.
    entity_keys: Mapping[str, Mapping[str, tuple[str, ...]]]
    # subgraph -> type -> field names it defines (including key fields of stubs).
    subgraph_fields: Mapping[str, Mapping[str, frozenset[str]]]
    # subgraph -> abstract type -> object types that subgraph may return for it.
    possible_types: Mapping[str, Mapping[str, frozenset[str]]]

    def can_resolve(self, subgraph: str, type_name: str, field_name: str) -> bool:
        return subgraph in self.field_owners.get((type_name, field_name), ())


@dataclass
class _Subgraph:
    name: str
    types: dict[str, TypeDefinitionNode] = field(default_factory=dict)
    # Merged field lists: definitions and `extend type` blocks of one subgraph are one type.
    fields: dict[str, dict[str, FieldDefinitionNode]] = field(default_factory=dict)
    type_directives: dict[str, list[DirectiveNode]] = field(default_factory=dict)
    interfaces: dict[str, list[str]] = field(default_factory=dict)
    members: dict[str, list[str]] = field(default_factory=dict)
    directive_names: dict[str, str] = field(default_factory=dict)
    root_names: dict[str, str] = field(default_factory=dict)

    def canonical(self, directive: DirectiveNode) -> str:
        """The federation name of a directive usage (`key`), or its own name when it is not federation's."""
        name = directive.name.value
        return self.directive_names.get(name, name)

    def directives(self, nodes: Iterable[DirectiveNode] | None, wanted: str) -> list[DirectiveNode]:
        return [d for d in nodes or () if self.canonical(d) == wanted]


def compose(subgraph_sdls: Mapping[str, str]) -> Supergraph:
    """Compose subgraph SDLs (name -> `{ _service { sdl } }`) or raise CompositionError naming every problem."""
    if not subgraph_sdls:
        raise CompositionError(["No subgraphs to compose"])
    errors: list[str] = []
    subgraphs = [_read_subgraph(name, sdl, errors) for name, sdl in subgraph_sdls.items()]
    if errors:
        raise CompositionError(errors)
    merger = _Merger(subgraphs, errors)
    supergraph = merger.merge()
    if errors or supergraph is None:
        raise CompositionError(errors)
    return supergraph


def _read_subgraph(name: str, sdl: str, errors: list[str]) -> _Subgraph:
    sub = _Subgraph(name)
    try:
        document = parse(sdl)
    except GraphQLError as exc:
        errors.append(f"Subgraph {name!r}: SDL does not parse: {exc.message}")
        return sub
    _read_links(sub, document)
    declared: dict[str, str] = {}
    for node in document.definitions:
        if isinstance(node, SchemaDefinitionNode | SchemaExtensionNode):
            for op in node.operation_types or ():
                declared[op.operation.value] = op.type.name.value
    for kind, default in DEFAULT_ROOT_NAMES.items():
        sub.root_names[declared.get(kind, default)] = default
    for node in document.definitions:
        if not isinstance(node, TypeDefinitionNode | TypeExtensionNode):
            continue
        type_name = sub.root_names.get(node.name.value, node.name.value)
        if type_name in INTERNAL_TYPES or type_name.startswith(("link__", "federation__")):
            continue
        _read_type(sub, type_name, node, errors)
    return sub


def _read_links(sub: _Subgraph, document: DocumentNode) -> None:
    """Map local directive names to federation names, following `@link(import:)` renames and namespaces."""
    linked = False
    for node in document.definitions:
        if not isinstance(node, SchemaDefinitionNode | SchemaExtensionNode):
            continue
        for directive in node.directives or ():
            if directive.name.value != "link":
                continue
            args = {a.name.value: value_from_ast_untyped(a.value) for a in directive.arguments or ()}
            url = str(args.get("url", ""))
            if LINK_SPEC in url:
                continue
            if FEDERATION_SPEC not in url:
                continue
            linked = True
            namespace = str(args.get("as") or "federation")
            for spec_name in UNSUPPORTED_DIRECTIVES | {
                "key",
                "shareable",
                "external",
                "inaccessible",
                "tag",
                "extends",
            }:
                sub.directive_names.setdefault(f"{namespace}__{spec_name}", spec_name)
            for item in args.get("import") or ():
                if isinstance(item, str):
                    local = original = item
                elif isinstance(item, dict):
                    original = str(item.get("name", ""))
                    local = str(item.get("as") or original)
                else:
                    continue
                if original.startswith("@"):
                    sub.directive_names[local.lstrip("@")] = original.lstrip("@")
    if not linked:
        # Federation 1 subgraphs use the bare names.
        sub.directive_names.update({n: n for n in ("key", "external", "requires", "provides", "extends")})


def _read_type(
    sub: _Subgraph,
    type_name: str,
    node: TypeDefinitionNode | TypeExtensionNode,
    errors: list[str],
) -> None:
    existing = sub.types.get(type_name)
    if isinstance(node, TypeDefinitionNode):
        if existing is not None and not isinstance(existing, type(node)):
            errors.append(f"Subgraph {sub.name!r}: type {type_name} is defined twice with different kinds")
        sub.types.setdefault(type_name, node)
    elif existing is None:
        sub.types[type_name] = _definition_for_extension(node)
    sub.type_directives.setdefault(type_name, []).extend(node.directives or ())
    for directive in node.directives or ():
        canonical = sub.canonical(directive)
        if canonical in UNSUPPORTED_DIRECTIVES:
            errors.append(
                f"Subgraph {sub.name!r}: @{canonical} on type {type_name} is not supported by the gateway executor"
            )
    if isinstance(node, ObjectTypeDefinitionNode | ObjectTypeExtensionNode) or isinstance(
        node, InterfaceTypeDefinitionNode | InterfaceTypeExtensionNode
    ):
        sub.interfaces.setdefault(type_name, []).extend(i.name.value for i in node.interfaces or ())
        fields = sub.fields.setdefault(type_name, {})
        for field_node in node.fields or ():
            if type_name == "Query" and field_node.name.value in INTERNAL_ROOT_FIELDS:
                continue
            for directive in field_node.directives or ():
                canonical = sub.canonical(directive)
                if canonical in UNSUPPORTED_DIRECTIVES:
                    errors.append(
                        f"Subgraph {sub.name!r}: @{canonical} on field {type_name}.{field_node.name.value}"
                        " is not supported by the gateway executor"
                    )
            fields[field_node.name.value] = field_node
    elif isinstance(node, UnionTypeDefinitionNode | UnionTypeExtensionNode):
        sub.members.setdefault(type_name, []).extend(t.name.value for t in node.types or ())


def _definition_for_extension(node: TypeExtensionNode) -> TypeDefinitionNode:
    """`extend type X` without a base definition in the same subgraph (Federation 1 style) defines X."""
    kinds: dict[type[Any], type[TypeDefinitionNode]] = {
        ObjectTypeExtensionNode: ObjectTypeDefinitionNode,
        InterfaceTypeExtensionNode: InterfaceTypeDefinitionNode,
        UnionTypeExtensionNode: UnionTypeDefinitionNode,
        EnumTypeExtensionNode: EnumTypeDefinitionNode,
        InputObjectTypeExtensionNode: InputObjectTypeDefinitionNode,
        ScalarTypeExtensionNode: ScalarTypeDefinitionNode,
    }
    definition = kinds[type(node)]
    attrs = {k: getattr(node, k) for k in definition.keys if hasattr(node, k) and k != "loc"}
    return definition(**attrs)


def _kind(node: TypeDefinitionNode) -> str:
    return type(node).__name__.removesuffix("TypeDefinitionNode")


def _type_str(node: TypeNode) -> str:
    return print_ast(node)


def _merge_output_types(a: TypeNode, b: TypeNode) -> TypeNode | None:
    """Two subgraphs may disagree on nullability only; the API keeps the nullable (weaker) promise."""
    if isinstance(a, NonNullTypeNode) and isinstance(b, NonNullTypeNode):
        inner = _merge_output_types(a.type, b.type)
        return None if inner is None else NonNullTypeNode(type=inner)
    if isinstance(a, NonNullTypeNode):
        return _merge_output_types(a.type, b)
    if isinstance(b, NonNullTypeNode):
        return _merge_output_types(a, b.type)
    if isinstance(a, ListTypeNode) and isinstance(b, ListTypeNode):
        inner = _merge_output_types(a.type, b.type)
        return None if inner is None else ListTypeNode(type=inner)
    if isinstance(a, NamedTypeNode) and isinstance(b, NamedTypeNode) and a.name.value == b.name.value:
        return a
    return None


def _key_fields(
    sub: _Subgraph, type_name: str, directive: DirectiveNode, errors: list[str]
) -> tuple[str, ...]:
    args = {a.name.value: a.value for a in directive.arguments or ()}
    raw = args.get("fields")
    if not isinstance(raw, StringValueNode):
        errors.append(f"Subgraph {sub.name!r}: @key on {type_name} needs a fields string")
        return ()
    text = raw.value
    if "{" in text or "(" in text or "@" in text or "." in text:
        errors.append(
            f"Subgraph {sub.name!r}: @key(fields: {text!r}) on {type_name} is not supported: "
            'only keys made of scalar fields of the type itself (e.g. "id") are'
        )
        return ()
    names = tuple(text.replace(",", " ").split())
    missing = [n for n in names if n not in sub.fields.get(type_name, {})]
    if not names or missing:
        errors.append(f"Subgraph {sub.name!r}: @key(fields: {text!r}) on {type_name} names undefined fields")
        return ()
    return names


def _is_resolvable(directive: DirectiveNode) -> bool:
    for arg in directive.arguments or ():
        if arg.name.value == "resolvable":
            return bool(value_from_ast_untyped(arg.value))
    return True


class _Merger:
    def __init__(self, subgraphs: list[_Subgraph], errors: list[str]) -> None:
        self.subgraphs = subgraphs
        self.errors = errors
        self.kinds: dict[str, tuple[str, str]] = {}
        self.keys: dict[str, dict[str, tuple[str, ...]]] = {}
        self.all_keys: dict[tuple[str, str], set[str]] = {}
        self.external: dict[tuple[str, str], set[str]] = {}

    def merge(self) -> Supergraph | None:
        self._check_kinds()
        if self.errors:
            return None
        self._collect_keys()
        owners = self._field_owners()
        definitions = self._api_definitions(owners)
        self._check_entities(owners)
        if self.errors:
            return None
        if not any(t == "Query" for t, _ in owners):
            self.errors.append("No subgraph defines a Query field")
            return None
        try:
            api_schema = build_ast_schema(DocumentNode(definitions=tuple(definitions)))
        except (GraphQLError, TypeError) as exc:
            self.errors.append(f"The composed schema is invalid: {exc}")
            return None
        problems = validate_schema(api_schema)
        if problems:
            self.errors.extend(f"The composed schema is invalid: {p.message}" for p in problems)
            return None
        return Supergraph(
            api_schema=api_schema,
            subgraphs=tuple(s.name for s in self.subgraphs),
            field_owners=owners,
            entity_keys=self.keys,
            subgraph_fields={
                s.name: {
                    t: frozenset(f for f in fields if s.name not in self.external.get((t, f), set()))
                    for t, fields in s.fields.items()
                }
                for s in self.subgraphs
            },
            possible_types={s.name: self._possible_types(s) for s in self.subgraphs},
        )

    def _check_kinds(self) -> None:
        for sub in self.subgraphs:
            for name, node in sub.types.items():
                kind = _kind(node)
                seen = self.kinds.setdefault(name, (kind, sub.name))
                if seen[0] != kind:
                    self.errors.append(
                        f"Type {name} is a {seen[0]} in subgraph {seen[1]!r} but a {kind} in subgraph {sub.name!r}"
                    )

    def _collect_keys(self) -> None:
        for sub in self.subgraphs:
            for type_name, directives in sub.type_directives.items():
                for directive in sub.directives(directives, "key"):
                    if not isinstance(sub.types[type_name], ObjectTypeDefinitionNode):
                        self.errors.append(
                            f"Subgraph {sub.name!r}: @key on {type_name} is not supported"
                            " (only object types can be entities here)"
                        )
                        continue
                    names = _key_fields(sub, type_name, directive, self.errors)
                    for n in names:
                        self.all_keys.setdefault((type_name, n), set()).add(sub.name)
                    if names and _is_resolvable(directive):
                        self.keys.setdefault(type_name, {}).setdefault(sub.name, names)

    def _shareable(self, sub: _Subgraph, type_name: str, field_node: FieldDefinitionNode) -> bool:
        if sub.name in self.all_keys.get((type_name, field_node.name.value), set()):
            return True
        if sub.directives(field_node.directives, "shareable"):
            return True
        return bool(sub.directives(sub.type_directives.get(type_name), "shareable"))

    def _field_owners(self) -> dict[tuple[str, str], tuple[str, ...]]:
        owners: dict[tuple[str, str], tuple[str, ...]] = {}
        for type_name, (kind, _) in self.kinds.items():
            if kind != "Object":
                continue
            definers: dict[str, list[tuple[_Subgraph, FieldDefinitionNode]]] = {}
            for sub in self.subgraphs:
                for fname, fnode in sub.fields.get(type_name, {}).items():
                    if sub.directives(fnode.directives, "external"):
                        self._check_external(sub, type_name, fname)
                        continue
                    definers.setdefault(fname, []).append((sub, fnode))
            for fname, defs in definers.items():
                if len(defs) > 1:
                    unshared = [s.name for s, f in defs if not self._shareable(s, type_name, f)]
                    if unshared:
                        names = ", ".join(repr(s.name) for s, _ in defs)
                        self.errors.append(
                            f"Field {type_name}.{fname} is resolved by subgraphs {names} but is not marked"
                            f" @shareable in {', '.join(repr(n) for n in unshared)}"
                        )
                owners[(type_name, fname)] = tuple(s.name for s, _ in defs)
        return owners

    def _check_external(self, sub: _Subgraph, type_name: str, fname: str) -> None:
        self.external.setdefault((type_name, fname), set()).add(sub.name)
        if sub.name not in self.all_keys.get((type_name, fname), set()):
            self.errors.append(
                f"Subgraph {sub.name!r}: @external on {type_name}.{fname} is only supported on key fields"
                " (@requires/@provides are not supported by the gateway executor)"
            )

    def _check_entities(self, owners: Mapping[tuple[str, str], tuple[str, ...]]) -> None:
        """Every field must be reachable: a field of an entity through some subgraph's `_entities`,
        a field of a value type by every subgraph that returns the type."""
        reported: set[str] = set()
        for sub in self.subgraphs:
            for type_name, fields in sub.fields.items():
                if self.kinds[type_name][0] != "Object" or type_name in ("Query", "Mutation", "Subscription"):
                    continue
                keyed_in = sorted(
                    {s for (t, _), subs in self.all_keys.items() if t == type_name for s in subs}
                )
                if keyed_in and sub.name not in keyed_in:
                    self.errors.append(
                        f"Entity {type_name} has @key in subgraph {keyed_in[0]!r} but subgraph {sub.name!r}"
                        ' defines it without one; add @key(fields: "id") there (resolvable: false for a stub)'
                    )
                    continue
                own = sorted(f for f in fields if owners.get((type_name, f)) == (sub.name,))
                if keyed_in and own and sub.name not in self.keys.get(type_name, {}):
                    self.errors.append(
                        f"Entity {type_name}: subgraph {sub.name!r} owns fields {', '.join(own)} but declares"
                        " no resolvable @key for it, so no other subgraph can reach them"
                    )
                if keyed_in or type_name in reported:
                    continue
                for other in self.subgraphs:
                    theirs = other.fields.get(type_name)
                    if other is sub or theirs is None or set(theirs) == set(fields):
                        continue
                    reported.add(type_name)
                    diff = sorted(set(fields) ^ set(theirs))
                    self.errors.append(
                        f"Value type {type_name} has different fields in subgraphs {sub.name!r} and"
                        f" {other.name!r} ({', '.join(diff)}); give it a @key to make it an entity"
                        " or define the same fields in both"
                    )
                    break

    def _possible_types(self, sub: _Subgraph) -> dict[str, frozenset[str]]:
        result: dict[str, set[str]] = {}
        for name, members in sub.members.items():
            result.setdefault(name, set()).update(members)
        for name, node in sub.types.items():
            if isinstance(node, ObjectTypeDefinitionNode):
                for iface in sub.interfaces.get(name, []):
                    result.setdefault(iface, set()).add(name)
        return {k: frozenset(v) for k, v in result.items()}

    def _api_definitions(self, owners: Mapping[tuple[str, str], tuple[str, ...]]) -> list[TypeDefinitionNode]:
        definitions: list[TypeDefinitionNode] = []
        for type_name, (kind, _) in self.kinds.items():
            subs = [s for s in self.subgraphs if type_name in s.types]
            if any(s.directives(s.type_directives.get(type_name), "inaccessible") for s in subs):
                continue
            if type_name in BUILTIN_SCALARS:
                continue
            node = self._merge_type(type_name, kind, subs, owners)
            if node is not None:
                definitions.append(node)
        return definitions

    def _merge_type(
        self,
        type_name: str,
        kind: str,
        subs: list[_Subgraph],
        owners: Mapping[tuple[str, str], tuple[str, ...]],
    ) -> TypeDefinitionNode | None:
        first = subs[0].types[type_name]
        description = next(
            (s.types[type_name].description for s in subs if s.types[type_name].description), None
        )
        name = _name(type_name)
        if kind in ("Object", "Interface"):
            fields = self._merge_fields(type_name, subs, owners if kind == "Object" else None)
            if not fields:
                return None
            interfaces: list[str] = []
            for s in subs:
                interfaces.extend(i for i in s.interfaces.get(type_name, []) if i not in interfaces)
            cls = ObjectTypeDefinitionNode if kind == "Object" else InterfaceTypeDefinitionNode
            return cls(
                name=name,
                description=description,
                fields=tuple(fields),
                interfaces=tuple(NamedTypeNode(name=_name(i)) for i in interfaces),
                directives=(),
            )
        if kind == "Union":
            members: list[str] = []
            for s in subs:
                members.extend(m for m in s.members.get(type_name, []) if m not in members)
            return UnionTypeDefinitionNode(
                name=name,
                description=description,
                types=tuple(NamedTypeNode(name=_name(m)) for m in members),
                directives=(),
            )
        shapes = {self._shape(s.types[type_name]) for s in subs}
        if len(shapes) > 1:
            self.errors.append(
                f"{kind} {type_name} differs between subgraphs {', '.join(repr(s.name) for s in subs)};"
                " enums and input types must be defined identically everywhere"
            )
            return None
        stripped: TypeDefinitionNode = self._strip(first)
        return stripped

    def _merge_fields(
        self,
        type_name: str,
        subs: list[_Subgraph],
        owners: Mapping[tuple[str, str], tuple[str, ...]] | None,
    ) -> list[FieldDefinitionNode]:
        merged: dict[str, FieldDefinitionNode] = {}
        hidden: set[str] = set()
        for sub in subs:
            for fname, fnode in sub.fields.get(type_name, {}).items():
                if sub.directives(fnode.directives, "inaccessible"):
                    hidden.add(fname)
                if owners is not None and sub.name not in owners.get((type_name, fname), ()):
                    if fname not in merged:
                        merged[fname] = fnode
                    continue
                seen = merged.get(fname)
                if seen is None:
                    merged[fname] = fnode
                    continue
                merged_type = _merge_output_types(seen.type, fnode.type)
                if merged_type is None:
                    self.errors.append(
                        f"Field {type_name}.{fname} has conflicting types: {_type_str(seen.type)} and"
                        f" {_type_str(fnode.type)} (subgraph {sub.name!r})"
                    )
                    continue
                if [print_ast(a) for a in seen.arguments or ()] != [
                    print_ast(a) for a in fnode.arguments or ()
                ]:
                    self.errors.append(
                        f"Field {type_name}.{fname} has different arguments in subgraph {sub.name!r}"
                        " than elsewhere; shared fields must declare identical arguments"
                    )
                    continue
                merged[fname] = FieldDefinitionNode(
                    name=seen.name,
                    description=seen.description or fnode.description,
                    arguments=seen.arguments,
                    type=merged_type,
                    directives=seen.directives,
                )
        return [self._strip(f) for n, f in merged.items() if n not in hidden]

    def _shape(self, node: TypeDefinitionNode) -> str:
        """A type's definition without descriptions or directives, for an equality check."""
        return print_ast(_without_descriptions(self._strip(node)))

    def _strip(self, node: Any) -> Any:
        """A copy of a definition keeping only directives the API schema understands."""
        result = _copy_node(node)
        if hasattr(result, "directives"):
            result.directives = tuple(
                d for d in result.directives or () if d.name.value in KEPT_API_DIRECTIVES
            )
        for attr in ("fields", "values", "arguments"):
            children = getattr(result, attr, None)
            if children:
                setattr(result, attr, tuple(self._strip(c) for c in children))
        return result


def _copy_node(node: Any) -> Any:
    cls = type(node)
    return cls(**{k: getattr(node, k, None) for k in cls.keys if k != "loc"})


def _without_descriptions(node: Any) -> Any:
    result = _copy_node(node)
    if hasattr(result, "description"):
        result.description = None
    for attr in ("fields", "values", "arguments"):
        children = getattr(result, attr, None)
        if children:
            setattr(result, attr, tuple(_without_descriptions(c) for c in children))
    return result


def _name(value: str) -> NameNode:
    return NameNode(value=value)
