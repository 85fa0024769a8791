"""SCIM filters become SQL: the rows a filter selects in PostgreSQL are exactly the users scim2-models'
own evaluation (`ScimFilter.match`, the reference reading of RFC 7644 §3.4.2.2) accepts."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scim2_models import InvalidFilterException, ScimFilter, ScimProvider
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
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_gateway.directory.schemas import PersonRecord
from tandem_gateway.directory.service import apply_person
from tandem_gateway.integrations.scim.convert import to_user
from tandem_gateway.integrations.scim.filters import where
from tandem_gateway.integrations.scim.resources import ENTERPRISE_SCHEMA, TANDEM_SCHEMA, provider
from tandem_gateway.models import Person
from tandem_kit.testing import sessionmaker_of

PROVIDER = provider(("associate", "senior", "lead", "manager"))
WORDS = ["ab", "Ab", "abc", "b", "B_c", "%", "z"]
PEOPLE: list[dict[str, Any]] = [
    {"user_name": "Ab", "title": "ab", "department": "Abc", "level": "senior", "email": "ab@x.io"},
    {"user_name": "abc", "title": "Abc", "department": None, "level": "lead", "active": False},
    {"user_name": "b", "title": None, "department": "b", "external_id": "Ab", "email": "B@x.io"},
    {"user_name": "B_c", "title": "b%", "department": "z", "level": "associate", "display_name": "Ab"},
    {"user_name": "z", "title": "z", "department": "ab", "external_id": "ab", "given_name": "abc"},
    {
        "user_name": "%",
        "title": "",
        "department": "%",
        "level": "manager",
        "active": False,
        "email": "z@b.io",
    },
]
STRING_ATTRIBUTES = [
    AttrPath("userName"),
    AttrPath("externalId"),
    AttrPath("title"),
    AttrPath("displayName"),
    AttrPath("name", "givenName"),
    AttrPath("emails", "value"),
    AttrPath("department", uri=ENTERPRISE_SCHEMA),
    AttrPath("level", uri=TANDEM_SCHEMA),
]
EXAMPLES = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture
async def population(
    app: FastAPI, client: httpx.AsyncClient
) -> AsyncIterator[tuple[AsyncSession, list[Person]]]:
    del client
    async with sessionmaker_of(app)() as session:
        people = [
            (
                await apply_person(
                    session, PersonRecord(**values), person_id=None, source="api", actor="test"
                )
            ).person
            for values in PEOPLE
        ]
        yield session, people


def comparisons() -> st.SearchStrategy[FilterNode]:
    strings = st.builds(
        Comparison,
        st.sampled_from(STRING_ATTRIBUTES),
        st.sampled_from(list(CompareOperator)),
        st.sampled_from(WORDS),
    )
    booleans = st.builds(
        Comparison,
        st.just(AttrPath("active")),
        st.sampled_from([CompareOperator.eq, CompareOperator.ne]),
        st.booleans(),
    )
    present = st.builds(Present, st.sampled_from([*STRING_ATTRIBUTES, AttrPath("active")]))
    return strings | booleans | present


def email_entries() -> st.SearchStrategy[FilterNode]:
    inner = st.builds(
        Comparison,
        st.sampled_from([AttrPath("value"), AttrPath("type")]),
        st.sampled_from([CompareOperator.eq, CompareOperator.co, CompareOperator.sw]),
        st.sampled_from(["work", "home", "ab", "x.io"]),
    )
    return st.builds(ValuePath, st.just(AttrPath("emails")), inner)


def filters() -> st.SearchStrategy[FilterNode]:
    return st.recursive(
        comparisons() | email_entries(),
        lambda children: st.builds(Not, children)
        | st.builds(
            LogicalExpr,
            st.sampled_from(list(LogicalOperator)),
            st.lists(children, min_size=2, max_size=3).map(tuple),
        ),
        max_leaves=5,
    )


def oracle(text: str, people: list[Person], scim: ScimProvider) -> set[Any]:
    model: Any = scim.model_for("User")
    parsed = ScimFilter[model](text)
    with scim:
        return {p.id for p in people if parsed.match(to_user(p, scim, "https://x/scim/v2"))}


async def selected(session: AsyncSession, text: str, people: list[Person]) -> set[Any]:
    model: Any = PROVIDER.model_for("User")
    condition = where(ScimFilter[model](text).ast)
    statement = select(Person.id).where(condition, Person.id.in_([p.id for p in people]))
    return set((await session.execute(statement)).scalars().all())


@EXAMPLES
@given(node=filters())
async def test_sql_selects_what_scim_evaluation_selects(
    population: tuple[AsyncSession, list[Person]], node: FilterNode
) -> None:
    session, people = population
    text = str(node)
    try:
        expected = oracle(text, people, PROVIDER)
    except InvalidFilterException:
        return  # a filter the model refuses (e.g. `active gt true`) is refused before any SQL
    assert await selected(session, text, people) == expected, text


@pytest.mark.parametrize(
    ("text", "user_names"),
    [
        ('userName eq "AB"', {"Ab"}),
        ('title co "%"', {"B_c"}),
        ('title sw "b_"', set()),
        ('emails[type eq "work" and value ew "x.io"]', {"Ab", "b"}),
        ('emails[type eq "work"].value sw "B@"', {"b"}),
        (
            f'{ENTERPRISE_SCHEMA}:department eq "ab" or {TANDEM_SCHEMA}:level pr and active eq false',
            {"z", "abc", "%"},
        ),
        ("not (title pr)", {"b", "%"}),
    ],
    ids=[
        "eq-case",
        "co-escapes-percent",
        "sw-escapes-underscore",
        "value-path",
        "value-path-sub",
        "and-or",
        "not-pr",
    ],
)
async def test_examples(
    population: tuple[AsyncSession, list[Person]], text: str, user_names: set[str]
) -> None:
    session, people = population
    by_id = {p.id: p.user_name for p in people}
    assert {by_id[i] for i in await selected(session, text, people)} == user_names
    assert {by_id[i] for i in oracle(text, people, PROVIDER)} == user_names


async def test_last_modified_orders_by_time(population: tuple[AsyncSession, list[Person]]) -> None:
    session, people = population
    stamp = people[2].updated_at.isoformat()

    later = await selected(session, f'meta.lastModified gt "{stamp}"', people)
    earlier = await selected(session, f'meta.lastModified le "{stamp}"', people)

    assert later == {p.id for p in people if p.updated_at > people[2].updated_at}
    assert earlier | later == {p.id for p in people}
