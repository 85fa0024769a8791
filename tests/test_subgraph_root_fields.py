"""Every root query field of every subgraph, all in one request: a subgraph resolves them at the
same time, and they share one database session per request, so each must take its turn on it.
(Two consent root fields in one query used to fail with HTTP 500: "concurrent operations are not
permitted" on the AsyncSession.)"""

import importlib
import uuid
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    GraphQLType,
    Undefined,
    get_named_type,
)

from tandem_devstack.stack import Stack

SERVICES = ["matching", "scheduling", "consent", "analytics"]


def literal(kind: GraphQLType) -> str:
    """A valid literal for a required argument of this type."""
    if isinstance(kind, GraphQLNonNull):
        return literal(kind.of_type)
    if isinstance(kind, GraphQLList):
        return f"[{literal(kind.of_type)}]"
    if isinstance(kind, GraphQLEnumType):
        return next(iter(kind.values))
    if isinstance(kind, GraphQLInputObjectType):
        raise NotImplementedError(kind.name)
    assert isinstance(kind, GraphQLScalarType)
    return {"Int": "1", "Float": "1.0", "Boolean": "true", "String": '"x"', "Date": '"2026-01-05"'}.get(
        kind.name, f'"{uuid.uuid4()}"'
    )


def selection(name: str, field: GraphQLField) -> str:
    args = ", ".join(
        f"{arg_name}: {literal(arg.type)}"
        for arg_name, arg in field.args.items()
        if isinstance(arg.type, GraphQLNonNull) and arg.default_value is Undefined
    )
    call = f"{name}({args})" if args else name
    leaf = isinstance(get_named_type(field.type), GraphQLScalarType | GraphQLEnumType)
    return f"{name}: {call}" + ("" if leaf else " { __typename }")


def every_root_field(service: str) -> str:
    schema = importlib.import_module(f"tandem_{service}.graphql").schema
    query = schema._schema.query_type  # the graphql-core schema strawberry built
    fields = [selection(n, f) for n, f in query.fields.items() if not n.startswith("_")]
    assert len(fields) >= 1
    return "{ " + " ".join(fields) + " }"


@pytest.mark.parametrize("service", SERVICES)
async def test_all_root_fields_at_once(stack: Stack, dev_token: str, service: str) -> None:
    query = every_root_field(service)
    async with httpx.AsyncClient(timeout=30) as http:
        resp = await http.post(
            f"{stack.config.url(service)}/graphql",
            json={"query": query},
            headers={"Authorization": f"Bearer {dev_token}"},
        )
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    assert body.get("data") is not None, body
    # Field-level refusals (an unknown id) are fine; a server fault is not.
    faults = [
        e for e in body.get("errors", []) if "concurrent" in e["message"] or "Unexpected" in e["message"]
    ]
    assert faults == [], faults
