"""One page of a longer list: `?limit=&offset=` in, `{items, total, limit, offset}` out.

Every list endpoint that can grow with use (people, sessions, decisions, clients...) answers a page,
so no caller ever loads an unbounded list by accident. The statement must have a total order (end
the ORDER BY with the primary key) so pages neither skip nor repeat rows.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.fields import INT8_MAX

T = TypeVar("T")
MAX_LIMIT = 500
MAX_OFFSET = INT8_MAX  # PostgreSQL's OFFSET is a bigint: anything larger fails in the driver


class Page(BaseModel, Generic[T]):
    """One page of a longer list."""

    items: list[T] = Field(description="The items on this page.")
    total: int = Field(description="How many items there are in all.")
    limit: int = Field(description="Page size asked for.")
    offset: int = Field(description="How many items come before this page.")


@dataclass(frozen=True)
class PageParams:
    limit: int
    offset: int


def _page_params(
    limit: int = Query(default=100, ge=1, le=MAX_LIMIT, description="Page size."),
    offset: int = Query(default=0, ge=0, le=MAX_OFFSET, description="Items to skip."),
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


PageQuery = Annotated[PageParams, Depends(_page_params)]


async def fetch_page(
    session: AsyncSession, statement: Select[Any], params: PageParams
) -> tuple[Sequence[Any], int]:
    """The rows of one page of `statement` (scalars: its first column) and the total row count."""
    total = await session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    rows = (await session.scalars(statement.limit(params.limit).offset(params.offset))).all()
    return rows, int(total or 0)


def page_of(rows: Sequence[Any], total: int, params: PageParams, item: Callable[[Any], T]) -> Page[T]:
    return Page[Any](items=[item(r) for r in rows], total=total, limit=params.limit, offset=params.offset)
