from collections.abc import Sequence
from datetime import date
from uuid import UUID

from sqlalchemy import Select, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.auth import Principal
from tandem_kit.pagination import PageParams, fetch_page
from tandem_matching.models import Match, SponsorAction


def readable_matches(principal: Principal) -> Select[tuple[Match]]:
    """Mentor matches the caller sees: managers and machines all, a person those they are party to."""
    statement = select(Match).where(Match.provider_kind == "mentor")
    if not principal.sees_everything:
        person = principal.person_uuid
        party = or_(Match.participant_id == person, Match.provider_person_id == person)
        statement = statement.where(party if person is not None else false())
    return statement


async def match_of(session: AsyncSession, principal: Principal, match_id: UUID) -> Match | None:
    found: Match | None = await session.scalar(readable_matches(principal).where(Match.id == match_id))
    return found


async def matches_of(session: AsyncSession, principal: Principal, ids: Sequence[UUID]) -> Sequence[Match]:
    return (await session.scalars(readable_matches(principal).where(Match.id.in_(ids)))).all()


async def get(
    session: AsyncSession, match_id: UUID, action_id: UUID, *, lock: bool = False
) -> SponsorAction | None:
    statement = select(SponsorAction).where(SponsorAction.id == action_id, SponsorAction.match_id == match_id)
    if lock:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    found: SponsorAction | None = await session.scalar(statement)
    return found


async def list_for_match(
    session: AsyncSession, match_id: UUID, page: PageParams
) -> tuple[Sequence[SponsorAction], int]:
    statement = (
        select(SponsorAction)
        .where(SponsorAction.match_id == match_id)
        .order_by(SponsorAction.action_date, SponsorAction.logged_at, SponsorAction.id)
    )
    return await fetch_page(session, statement, page)


async def pages_for_matches(
    session: AsyncSession, match_ids: Sequence[UUID], page: PageParams
) -> dict[UUID, tuple[list[SponsorAction], int]]:
    """The same page of each match's actions, with each match's total, in one query."""
    order = (SponsorAction.action_date, SponsorAction.logged_at, SponsorAction.id)
    numbered = (
        select(
            SponsorAction.id,
            func.row_number().over(partition_by=SponsorAction.match_id, order_by=order).label("n"),
            func.count().over(partition_by=SponsorAction.match_id).label("total"),
        )
        .where(SponsorAction.match_id.in_(match_ids))
        .subquery()
    )
    rows = await session.execute(
        select(SponsorAction, numbered.c.total)
        .join(numbered, numbered.c.id == SponsorAction.id)
        .where(numbered.c.n > page.offset, numbered.c.n <= page.offset + page.limit)
        .order_by(SponsorAction.match_id, *order)
    )
    found: dict[UUID, tuple[list[SponsorAction], int]] = {m: ([], 0) for m in match_ids}
    for action, total in rows:
        items, _ = found[action.match_id]
        items.append(action)
        found[action.match_id] = (items, int(total))
    # A page past the end still needs its match's total.
    missing = [m for m, (items, _) in found.items() if not items]
    if missing:
        totals = await session.execute(
            select(SponsorAction.match_id, func.count())
            .where(SponsorAction.match_id.in_(missing))
            .group_by(SponsorAction.match_id)
        )
        for match_id, total in totals:
            found[match_id] = ([], int(total))
    return found


async def live_dates(session: AsyncSession, match_ids: Sequence[UUID]) -> dict[UUID, list[date]]:
    """The dates of each match's actions that were not retracted."""
    rows = await session.execute(
        select(SponsorAction.match_id, SponsorAction.action_date).where(
            SponsorAction.match_id.in_(match_ids), SponsorAction.retracted_at.is_(None)
        )
    )
    found: dict[UUID, list[date]] = {m: [] for m in match_ids}
    for row in rows:
        found[row.match_id].append(row.action_date)
    return found


async def logged_counts(session: AsyncSession, person_ids: Sequence[UUID], *, since: date) -> dict[UUID, int]:
    """Per mentor person with a log (any action not retracted, of any date): how many of those actions
    are dated `since` or later. A person without a log is absent, so the scorer falls back to the
    typed-in count for them."""
    if not person_ids:
        return {}
    rows = await session.execute(
        select(
            SponsorAction.mentor_person_id,
            func.count().filter(SponsorAction.action_date >= since),
        )
        .where(SponsorAction.mentor_person_id.in_(person_ids), SponsorAction.retracted_at.is_(None))
        .group_by(SponsorAction.mentor_person_id)
    )
    return {row[0]: int(row[1]) for row in rows}
