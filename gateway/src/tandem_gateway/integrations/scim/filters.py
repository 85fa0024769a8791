"""SCIM filters to SQL: the filter scim2-models parsed and checked, as a WHERE clause on `people`.

Every attribute the User resource publishes maps to one column; strings compare case-insensitively
except the case-exact ones (id, externalId, manager.value), as RFC 7643 marks them. Ordering compares
code points (`COLLATE "C"`), the order SCIM's reference evaluation uses. Nothing is filtered in Python:
a filter on 20,000 people is one indexed query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, cast

from scim2_models import InvalidFilterException
from scim2_models.path.expressions import (
    AttrPath,
    CompareOperator,
    Comparison,
    FilterNode,
    LogicalExpr,
    LogicalOperator,
    Not,
    Present,
    ValuePath,
)
from sqlalchemy import String, and_, false, func, literal, not_, or_, true
from sqlalchemy.sql.elements import ColumnElement

from tandem_gateway.integrations.scim.resources import (
    ENTERPRISE_SCHEMA,
    GROUP_SCHEMA,
    TANDEM_SCHEMA,
    USER_SCHEMA,
)
from tandem_gateway.models import Group, Person

Kind = Literal["text", "exact", "bool", "datetime"]


@dataclass(frozen=True)
class Column:
    expression: Any  # a column or SQL expression
    kind: Kind


def _text(column: Any) -> Column:
    return Column(column, "text")


# (schema, attribute, sub-attribute), lower-cased -> the column it reads.
USER_COLUMNS: dict[tuple[str, str, str], Column] = {
    (USER_SCHEMA, "id", ""): Column(func.cast(Person.id, String), "exact"),
    (USER_SCHEMA, "externalid", ""): Column(Person.external_id, "exact"),
    (USER_SCHEMA, "username", ""): _text(Person.user_name),
    (USER_SCHEMA, "name", "givenname"): _text(Person.given_name),
    (USER_SCHEMA, "name", "familyname"): _text(Person.family_name),
    (USER_SCHEMA, "displayname", ""): _text(Person.display_name),
    (USER_SCHEMA, "title", ""): _text(Person.title),
    (USER_SCHEMA, "timezone", ""): _text(Person.timezone),
    (USER_SCHEMA, "active", ""): Column(Person.active, "bool"),
    (USER_SCHEMA, "emails", ""): _text(Person.email),
    (USER_SCHEMA, "emails", "value"): _text(Person.email),
    (USER_SCHEMA, "meta", "created"): Column(Person.created_at, "datetime"),
    (USER_SCHEMA, "meta", "lastmodified"): Column(Person.updated_at, "datetime"),
    (ENTERPRISE_SCHEMA, "employeenumber", ""): _text(Person.employee_number),
    (ENTERPRISE_SCHEMA, "costcenter", ""): _text(Person.cost_center),
    (ENTERPRISE_SCHEMA, "division", ""): _text(Person.division),
    (ENTERPRISE_SCHEMA, "department", ""): _text(Person.department),
    (ENTERPRISE_SCHEMA, "manager", ""): Column(func.cast(Person.manager_id, String), "exact"),
    (ENTERPRISE_SCHEMA, "manager", "value"): Column(func.cast(Person.manager_id, String), "exact"),
    (TANDEM_SCHEMA, "level", ""): _text(Person.level),
    (TANDEM_SCHEMA, "location", ""): _text(Person.location),
}
SCHEMAS = (USER_SCHEMA, ENTERPRISE_SCHEMA, TANDEM_SCHEMA)
GROUP_SCHEMAS = (GROUP_SCHEMA,)


GROUP_COLUMNS: dict[tuple[str, str, str], Column] = {
    (GROUP_SCHEMA, "id", ""): Column(func.cast(Group.id, String), "exact"),
    (GROUP_SCHEMA, "externalid", ""): Column(Group.external_id, "exact"),
    (GROUP_SCHEMA, "displayname", ""): _text(Group.display_name),
    (GROUP_SCHEMA, "meta", "created"): Column(Group.created_at, "datetime"),
    (GROUP_SCHEMA, "meta", "lastmodified"): Column(Group.updated_at, "datetime"),
}
_COLUMNS = {
    (schema.lower(), attr, sub): column
    for (schema, attr, sub), column in (USER_COLUMNS | GROUP_COLUMNS).items()
}


def _column(path: AttrPath, prefix: str = "", schemas: tuple[str, ...] = SCHEMAS) -> Column:
    attr, sub = path.attr.lower(), (path.sub_attr or "").lower()
    if prefix:
        attr, sub = prefix, attr
    for schema in (path.uri,) if path.uri else schemas:
        column = _COLUMNS.get((schema.lower(), attr, sub))
        if column is not None:
            return column
    raise InvalidFilterException(detail=f"the filter names {path}, an attribute Tandem cannot filter on")


def _datetime(value: Any, path: AttrPath) -> datetime:
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidFilterException(detail=f"{path} compares with a dateTime, not {value!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _compare(column: Column, op: CompareOperator, value: Any, path: AttrPath) -> ColumnElement[bool]:
    expression = column.expression
    if column.kind == "bool":
        if not isinstance(value, bool) or op not in (CompareOperator.eq, CompareOperator.ne):
            raise InvalidFilterException(detail=f"{path} is a boolean: use eq or ne with true or false")
        return cast(
            "ColumnElement[bool]", expression == value if op == CompareOperator.eq else expression != value
        )
    if column.kind == "datetime":
        value = _datetime(value, path)
    elif value is None:
        return cast(
            "ColumnElement[bool]",
            expression.is_(None) if op == CompareOperator.eq else expression.is_not(None),
        )
    elif not isinstance(value, str):
        raise InvalidFilterException(detail=f"{path} is a string: compare it with a string")
    else:
        if column.kind == "text":
            expression, value = func.lower(expression), value.lower()
        if op in (CompareOperator.gt, CompareOperator.ge, CompareOperator.lt, CompareOperator.le):
            expression = expression.collate("C")
    comparisons = {
        CompareOperator.eq: lambda: expression == value,
        CompareOperator.ne: lambda: expression.is_distinct_from(value),
        CompareOperator.co: lambda: expression.contains(value, autoescape=True),
        CompareOperator.sw: lambda: expression.startswith(value, autoescape=True),
        CompareOperator.ew: lambda: expression.endswith(value, autoescape=True),
        CompareOperator.gt: lambda: expression > value,
        CompareOperator.ge: lambda: expression >= value,
        CompareOperator.lt: lambda: expression < value,
        CompareOperator.le: lambda: expression <= value,
    }
    return cast("ColumnElement[bool]", comparisons[op]())


def _present(column: Column) -> ColumnElement[bool]:
    if column.kind == "text":
        return and_(column.expression.is_not(None), column.expression != "")
    return cast("ColumnElement[bool]", column.expression.is_not(None))


def _email_entry(node: FilterNode) -> ColumnElement[bool]:
    """A condition inside `emails[...]`: the one stored entry is the work address, primary."""
    match node:
        case Comparison(attr_path=path, op=op, value=value) if path.attr.lower() == "type":
            entry = Column(literal("work", String), "text")
            return and_(Person.email.is_not(None), _compare(entry, op, value, path))
        case Comparison(attr_path=path, op=op, value=value) if path.attr.lower() == "primary":
            if op not in (CompareOperator.eq, CompareOperator.ne) or not isinstance(value, bool):
                raise InvalidFilterException(detail="emails.primary is a boolean: use eq or ne")
            return and_(Person.email.is_not(None), true() if (op == CompareOperator.eq) == value else false())
        case Present(attr_path=path) if path.attr.lower() in ("type", "primary"):
            return Person.email.is_not(None)
        case LogicalExpr(op=op, terms=terms):
            parts = [_email_entry(term) for term in terms]
            return and_(*parts) if op == LogicalOperator.and_ else or_(*parts)
        case Not(expr=inner):
            return and_(Person.email.is_not(None), not_(_email_entry(inner)))
        case Comparison(attr_path=path, op=op, value=value):
            return _compare(_column(path, prefix="emails"), op, value, path)
        case Present(attr_path=path):
            return _present(_column(path, prefix="emails"))
    raise InvalidFilterException(detail=f"unsupported filter inside emails[...]: {node}")


def where(node: FilterNode, schemas: tuple[str, ...] = SCHEMAS) -> ColumnElement[bool]:
    """The WHERE clause of a parsed filter on Users (default) or Groups (`GROUP_SCHEMAS`)."""
    match node:
        case Comparison(attr_path=path, op=op, value=value):
            return _compare(_column(path, schemas=schemas), op, value, path)
        case Present(attr_path=path):
            return _present(_column(path, schemas=schemas))
        case Not(expr=inner):
            # SQL's NOT of an unknown (NULL) is unknown: coalesce so "not (title eq x)" keeps people
            # without a title, as SCIM's evaluation does.
            return not_(func.coalesce(where(inner, schemas), false()))
        case LogicalExpr(op=LogicalOperator.and_, terms=terms):
            return and_(*(where(term, schemas) for term in terms))
        case LogicalExpr(op=LogicalOperator.or_, terms=terms):
            return or_(*(where(term, schemas) for term in terms))
        case ValuePath(attr_path=path, val_filter=inner) if (
            path.attr.lower() == "emails" and schemas == SCHEMAS
        ):
            return _email_entry(inner)
    raise InvalidFilterException(detail=f"Tandem cannot filter on {node}")
