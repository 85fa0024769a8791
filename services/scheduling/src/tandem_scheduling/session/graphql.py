from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from tandem_kit.auth import Principal
from tandem_kit.graphql import field, graphql_input, loader, mutation_session, require_scope
from tandem_scheduling import models
from tandem_scheduling.session import repository, service
from tandem_scheduling.session.schemas import SessionCancel, SessionCreate


@strawberry.federation.type(keys=["id"], description="A booked (or cancelled) meeting of an engagement.")
class Session:
    id: strawberry.ID
    engagement_id: strawberry.ID
    kind: str
    status: str
    starts_at: datetime
    ends_at: datetime
    cancelled_at: datetime | None

    @classmethod
    async def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> "Session | None":
        return await loader(info, "session_by_id", load_by_ids).load(UUID(str(id)))


def to_graphql(s: models.Session) -> Session:
    return Session(
        id=strawberry.ID(str(s.id)),
        engagement_id=strawberry.ID(str(s.engagement_id)),
        kind=s.kind,
        status=s.status,
        starts_at=s.starts_at,
        ends_at=s.ends_at,
        cancelled_at=s.cancelled_at,
    )


async def load_by_ids(
    session: AsyncSession, principal: Principal, ids: Sequence[UUID]
) -> list[Session | None]:
    found = {s.id: s for s in await repository.list_readable_by_ids(session, principal, ids)}
    return [to_graphql(found[i]) if i in found else None for i in ids]


async def load_by_engagement(
    session: AsyncSession, principal: Principal, engagement_ids: Sequence[UUID]
) -> list[list[Session]]:
    # Only called for engagements already resolved through the readable statement.
    grouped: dict[UUID, list[Session]] = defaultdict(list)
    for s in await repository.list_for_engagements(session, engagement_ids):
        grouped[s.engagement_id].append(to_graphql(s))
    return [grouped[i] for i in engagement_ids]


@strawberry.type
class SessionMutation:
    @field(
        description="Book a session (as REST `POST /engagements/{id}/sessions`): inside both people's "
        "working hours, clear of their calendars, never double booked."
    )
    async def book_session(
        self,
        info: Info[Any, Any],
        engagement_id: UUID,
        starts_at: datetime,
        kind: str = "regular",
        duration_minutes: int | None = None,
        accept_unverified: bool = False,
    ) -> Session | None:
        principal = require_scope(info, "scheduling:write")
        data = graphql_input(
            SessionCreate,
            "input",
            {
                "starts_at": starts_at,
                "kind": kind,
                "duration_minutes": duration_minutes,
                "accept_unverified": accept_unverified,
            },
        )
        calendars = info.context["request"].app.state.calendars
        async with mutation_session(info) as session:
            booked = await service.book_session(session, principal, engagement_id, data, calendars=calendars)
        return to_graphql(booked)

    @field(description="Cancel a booked session and free its time (as REST `POST .../sessions/{id}/cancel`).")
    async def cancel_session(
        self, info: Info[Any, Any], engagement_id: UUID, session_id: UUID, reason: str
    ) -> Session | None:
        principal = require_scope(info, "scheduling:write")
        data = graphql_input(SessionCancel, "input", {"reason": reason})
        async with mutation_session(info) as session:
            cancelled = await service.cancel_session(session, principal, engagement_id, session_id, data)
        return to_graphql(cancelled)
