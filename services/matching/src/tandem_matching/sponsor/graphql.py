"""Sponsor actions in GraphQL: the type, `Match.sponsorActions` (paged, match/graphql.py), and the
log, correct and retract mutations calling the same service as REST."""

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from tandem_kit.auth import Principal
from tandem_kit.graphql import (
    Page,
    field,
    graphql_input,
    graphql_page,
    keyed_loader,
    mutation_session,
    page_params,
    require_scope,
)
from tandem_matching import models
from tandem_matching.sponsor import domain, repository, service
from tandem_matching.sponsor.schemas import SponsorActionCreate, SponsorActionUpdate


@strawberry.type(description="A sponsor action a mentor logged for a mentee.")
class SponsorAction:
    id: strawberry.ID
    match_id: strawberry.ID
    kind: str = strawberry.field(
        description="introduction, advocacy, stretch_assignment or resource_secured."
    )
    action_date: date
    outcome: str = strawberry.field(description="pending, succeeded or no_result.")
    description: str | None
    logged_at: datetime
    logged_by: str
    corrected_at: datetime | None
    retracted_at: datetime | None


def to_graphql(a: models.SponsorAction) -> SponsorAction:
    return SponsorAction(
        id=strawberry.ID(str(a.id)),
        match_id=strawberry.ID(str(a.match_id)),
        kind=a.kind,
        action_date=a.action_date,
        outcome=a.outcome,
        description=a.description,
        logged_at=a.logged_at,
        logged_by=a.logged_by,
        corrected_at=a.corrected_at,
        retracted_at=a.retracted_at,
    )


async def page_for(info: Info[Any, Any], match_id: UUID, limit: int, offset: int) -> Page[SponsorAction]:
    """The sponsor actions of a match the caller already sees (an empty page for a coach match); the
    matches of one request share one query per (limit, offset)."""
    params = page_params(limit, offset)

    async def fetch(
        session: AsyncSession, principal: Principal, ids: Sequence[UUID]
    ) -> dict[UUID, tuple[list[models.SponsorAction], int]]:
        mentor_matches = [m.id for m in await repository.matches_of(session, principal, ids)]
        return await repository.pages_for_matches(session, mentor_matches, params)

    name = f"sponsor_actions:{params.limit}:{params.offset}"
    rows, total = await keyed_loader(info, name, fetch).load(match_id) or ([], 0)
    return graphql_page(rows, total, params, to_graphql)


async def load_week_15(session: AsyncSession, principal: Principal, ids: Sequence[UUID]) -> dict[UUID, bool]:
    """The week-15 gate of each mentor match among `ids` the caller sees (one query for the matches,
    one for their dates); coach matches are left out (null)."""
    matches = await repository.matches_of(session, principal, ids)
    dates = await repository.live_dates(session, [m.id for m in matches])
    return {m.id: domain.by_week_15(m.approved_at.date(), dates[m.id]) for m in matches}


@strawberry.type
class SponsorMutation:
    @field(
        description="Log a sponsor action for the mentee of a mentor match (the mentor, a manager or the HRIS)."
    )
    async def log_sponsor_action(
        self,
        info: Info[Any, Any],
        match_id: strawberry.ID,
        kind: str,
        action_date: date,
        outcome: str = "pending",
        description: str | None = None,
    ) -> SponsorAction:
        principal = require_scope(info, "matching:write")
        data = graphql_input(
            SponsorActionCreate,
            "input",
            {"kind": kind, "action_date": action_date, "outcome": outcome, "description": description},
        )
        async with mutation_session(info) as session:
            action = await service.log_action(session, principal, _id(match_id, "matchId"), data)
        return to_graphql(action)

    @field(
        description="Correct a sponsor action: only the arguments given change (the event goes out again)."
    )
    async def correct_sponsor_action(
        self,
        info: Info[Any, Any],
        match_id: strawberry.ID,
        action_id: strawberry.ID,
        kind: str | None = None,
        action_date: date | None = None,
        outcome: str | None = None,
        description: str | None = None,
    ) -> SponsorAction:
        principal = require_scope(info, "matching:write")
        given = {"kind": kind, "action_date": action_date, "outcome": outcome, "description": description}
        data = graphql_input(SponsorActionUpdate, "input", {k: v for k, v in given.items() if v is not None})
        async with mutation_session(info) as session:
            action = await service.correct_action(
                session, principal, _id(match_id, "matchId"), _id(action_id, "actionId"), data
            )
        return to_graphql(action)

    @field(
        description="Retract a sponsor action: kept, counted nowhere (a second retraction changes nothing)."
    )
    async def retract_sponsor_action(
        self, info: Info[Any, Any], match_id: strawberry.ID, action_id: strawberry.ID
    ) -> SponsorAction:
        principal = require_scope(info, "matching:write")
        async with mutation_session(info) as session:
            action = await service.retract_action(
                session, principal, _id(match_id, "matchId"), _id(action_id, "actionId")
            )
        return to_graphql(action)


def _id(value: str, argument: str) -> UUID:
    """A UUID argument; anything else is the same 404 an unknown id gets."""
    try:
        return UUID(str(value))
    except ValueError:
        if argument == "actionId":
            raise service.SponsorActionNotFound(f"No sponsor action with id {value}.") from None
        raise service.MentorMatchNotFound(f"No mentor match with id {value}.") from None
