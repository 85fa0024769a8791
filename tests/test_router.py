"""The committed supergraph for Apollo Router / Hive Gateway (deploy/router/) matches the committed
subgraph SDLs: every subgraph, type, field, argument and enum value is there, attributed to its
subgraph the way composition attributes it (`@join__type`, `@join__field`, `@join__enumValue`), and
nothing attributed to a subgraph is missing from that subgraph's SDL. No node needed."""

from pathlib import Path

import pytest
from graphql import (
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumValueDefinitionNode,
    FieldDefinitionNode,
    InputObjectTypeDefinitionNode,
    InputValueDefinitionNode,
    InterfaceTypeDefinitionNode,
    ObjectTypeDefinitionNode,
    TypeDefinitionNode,
    UnionTypeDefinitionNode,
    parse,
    print_ast,
)
from graphql.language import ConstDirectiveNode, StringValueNode

REPO = Path(__file__).resolve().parents[1]
SUPERGRAPH = REPO / "deploy" / "router" / "supergraph.graphql"
SUBGRAPHS = ("matching", "scheduling", "consent", "analytics", "gateway")
# The gateway serves its own subgraph at /graphql/gateway (its /graphql is the federated endpoint).
K8S_URLS = {
    name: "http://gateway:8000/graphql/gateway" if name == "gateway" else f"http://{name}:8000/graphql"
    for name in SUBGRAPHS
}
REGENERATE = "the supergraph is stale: regenerate it with `cd deploy/router && npm ci && node compose.mjs`"

# Federation machinery: composition consumes these, the API schema never shows them.
FEDERATION_TYPES = {"_Service", "_Entity", "_Any", "FieldSet", "link__Import", "link__Purpose"}
FEDERATION_FIELDS = {"_entities", "_service"}

Fields = FieldDefinitionNode | InputValueDefinitionNode
Directed = TypeDefinitionNode | FieldDefinitionNode | InputValueDefinitionNode | EnumValueDefinitionNode
WithFields = ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode | InputObjectTypeDefinitionNode


def types_of(document: DocumentNode) -> dict[str, TypeDefinitionNode]:
    return {
        d.name.value: d
        for d in document.definitions
        if isinstance(d, TypeDefinitionNode) and d.name.value not in FEDERATION_TYPES
    }


def directives(node: Directed, name: str) -> list[dict[str, str]]:
    """Arguments of each `@name` on a node, printed (`graph: MATCHING` -> {"graph": "MATCHING"})."""
    found: list[ConstDirectiveNode] = [d for d in node.directives or () if d.name.value == name]
    return [
        {
            a.name.value: a.value.value if isinstance(a.value, StringValueNode) else print_ast(a.value)
            for a in d.arguments
        }
        for d in found
    ]


def fields_of(node: TypeDefinitionNode) -> dict[str, Fields]:
    if isinstance(node, WithFields):
        return {f.name.value: f for f in node.fields or () if f.name.value not in FEDERATION_FIELDS}
    return {}


@pytest.fixture(scope="module")
def supergraph() -> DocumentNode:
    return parse(SUPERGRAPH.read_text())


@pytest.fixture(scope="module")
def graphs(supergraph: DocumentNode) -> dict[str, str]:
    """Subgraph name -> its `join__Graph` enum value."""
    enum = types_of(supergraph)["join__Graph"]
    assert isinstance(enum, EnumTypeDefinitionNode)
    return {directives(v, "join__graph")[0]["name"]: v.name.value for v in enum.values or ()}


def subgraph_sdl(name: str) -> DocumentNode:
    return parse(sdl_path(name).read_text())


def sdl_path(name: str) -> Path:
    return (
        REPO / "gateway" / "schema.graphql"
        if name == "gateway"
        else REPO / "services" / name / "schema.graphql"
    )


def owned_by(type_node: TypeDefinitionNode, field: Fields, graph: str) -> dict[str, str] | None:
    """The `@join__field` arguments that give `graph` this field, or None when it does not have it.

    Composition leaves `@join__field` off a field that every subgraph of its type resolves."""
    joins = directives(field, "join__field")
    if not joins:
        in_type = any(j["graph"] == graph for j in directives(type_node, "join__type"))
        return {} if in_type else None
    return next((j for j in joins if j.get("graph") == graph and j.get("external") != "true"), None)


def test_supergraph_parses_and_names_every_subgraph(supergraph: DocumentNode, graphs: dict[str, str]) -> None:
    enum = types_of(supergraph)["join__Graph"]
    assert isinstance(enum, EnumTypeDefinitionNode)
    joins = [directives(value, "join__graph")[0] for value in enum.values or ()]
    urls = {join["name"]: join["url"] for join in joins}
    assert sorted(graphs) == sorted(SUBGRAPHS), REGENERATE
    assert graphs == {name: name.upper() for name in SUBGRAPHS}
    # The committed file carries the Kubernetes service names; local runs compose their own copy.
    assert urls == K8S_URLS, f"subgraph URLs differ from deploy/k8s: {urls}; {REGENERATE}"


@pytest.mark.parametrize("name", SUBGRAPHS)
def test_every_subgraph_type_and_field_is_in_the_supergraph(
    supergraph: DocumentNode, graphs: dict[str, str], name: str
) -> None:
    graph = graphs[name]
    composed = types_of(supergraph)
    problems: list[str] = []
    for type_name, node in types_of(subgraph_sdl(name)).items():
        target = composed.get(type_name)
        if target is None or type(target) is not type(node):
            problems.append(f"type {type_name} missing")
            continue
        if not any(j["graph"] == graph for j in directives(target, "join__type")):
            problems.append(f"type {type_name} lacks @join__type(graph: {graph})")
            continue
        target_fields = fields_of(target)
        for field_name, field in fields_of(node).items():
            composed_field = target_fields.get(field_name)
            join = None if composed_field is None else owned_by(target, composed_field, graph)
            if composed_field is None or join is None:
                problems.append(f"field {type_name}.{field_name} missing for {graph}")
                continue
            # `type:` on @join__field records this subgraph's own type where composition widened it.
            composed_type = join.get("type") or print_ast(composed_field.type)
            if composed_type != print_ast(field.type):
                problems.append(f"field {type_name}.{field_name}: {composed_type} != {print_ast(field.type)}")
            if isinstance(field, FieldDefinitionNode) and isinstance(composed_field, FieldDefinitionNode):
                own = {a.name.value: print_ast(a.type) for a in field.arguments or ()}
                merged = {a.name.value: print_ast(a.type) for a in composed_field.arguments or ()}
                if own != merged:
                    problems.append(f"field {type_name}.{field_name} arguments {merged} != {own}")
        if isinstance(node, EnumTypeDefinitionNode) and isinstance(target, EnumTypeDefinitionNode):
            own_values = {v.name.value for v in node.values or ()}
            composed_values = {
                v.name.value
                for v in target.values or ()
                if any(j["graph"] == graph for j in directives(v, "join__enumValue"))
            }
            if own_values != composed_values:
                problems.append(f"enum {type_name}: {sorted(composed_values)} != {sorted(own_values)}")
        if isinstance(node, UnionTypeDefinitionNode) and isinstance(target, UnionTypeDefinitionNode):
            own_members = {m.name.value for m in node.types or ()}
            composed_members = {
                j["member"] for j in directives(target, "join__unionMember") if j["graph"] == graph
            }
            if own_members != composed_members:
                problems.append(f"union {type_name}: {sorted(composed_members)} != {sorted(own_members)}")
    assert problems == [], f"{name}: {problems}; {REGENERATE}"


@pytest.mark.parametrize("name", SUBGRAPHS)
def test_nothing_in_the_supergraph_is_gone_from_the_subgraph(
    supergraph: DocumentNode, graphs: dict[str, str], name: str
) -> None:
    graph = graphs[name]
    own = types_of(subgraph_sdl(name))
    problems: list[str] = []
    for type_name, target in types_of(supergraph).items():
        if not any(j.get("graph") == graph for j in directives(target, "join__type")):
            continue
        if type_name not in own:
            problems.append(f"type {type_name} is no longer in {name}")
            continue
        own_fields = fields_of(own[type_name])
        for field_name, field in fields_of(target).items():
            if owned_by(target, field, graph) is not None and field_name not in own_fields:
                problems.append(f"field {type_name}.{field_name} is no longer in {name}")
    assert problems == [], f"{name}: {problems}; {REGENERATE}"
