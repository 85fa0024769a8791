"""GraphQL `Engagement` (with its sessions) and `Match.engagement`.

Here rather than in `engagement/` because an engagement's `sessions` field needs the session module,
which itself builds on the engagement module.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from tandem_kit.auth import Principal
from tandem_kit.graphql import (
    Page,
    exclusive_session,
    field,
    graphql_page,
    loader,
    page_params,
    parse_id,
    require_scope,
)
from tandem_scheduling import models
from tandem_scheduling.attendance import service as attendance_service
from tandem_scheduling.attendance.graphql import EngagementAttendance, policy_of, standing_to_graphql
from tandem_scheduling.engagement import repository, service
from tandem_scheduling.session import service as session_service
from tandem_scheduling.session.graphql import Session, load_by_engagement
from tandem_scheduling.session.graphql import to_graphql as session_to_graphql


@strawberry.federation.type(keys=["id"], description="An approved match turned into a schedule.")
class Engagement:
    id: strawberry.ID
    match_id: strawberry.ID
    program_id: strawberry.ID
    participant_id: strawberry.ID
    provider_id: strawberry.ID
    provider_person_id: strawberry.ID
    provider_kind: str
    track: str
    status: str
    cadence: str
    session_minutes: int
    participant_timezone: str
    provider_timezone: str
    approved_at: datetime
    ended_at: datetime | None = strawberry.field(description="When the engagement ended; null while active.")

    @field(
        description="Sessions of this engagement, earliest first (cancelled included), all of them: an "
        "engagement's plan bounds them (a year of weekly sessions at most). `sessionPage` pages them."
    )
    async def sessions(self, info: Info[Any, Any]) -> list[Session]:
        return await loader(info, "sessions_by_engagement", load_by_engagement).load(UUID(str(self.id)))

    @field(description="One page of this engagement's sessions, earliest first (cancelled included).")
    async def session_page(
        self, info: Info[Any, Any], limit: int = 100, offset: int = 0
    ) -> Page[Session] | None:
        params = page_params(limit, offset)
        async with exclusive_session(info) as session:
            rows, total = await session_service.page_sessions(
                session, info.context["principal"], UUID(str(self.id)), page=params
            )
        return graphql_page(rows, total, params, session_to_graphql)

    @field(description="Attendance against the floor: attended over sessions with a counted outcome.")
    async def attendance(self, info: Info[Any, Any]) -> EngagementAttendance:
        policy = policy_of(info)

        async def load(
            session: AsyncSession, _principal: Principal, ids: Sequence[UUID]
        ) -> list[EngagementAttendance]:
            # Only called for engagements already resolved through the readable statement.
            found = await attendance_service.standings(session, ids, policy=policy)
            return [standing_to_graphql(found[i]) for i in ids]

        return await loader(info, "attendance_by_engagement", load).load(UUID(str(self.id)))

    @classmethod
    async def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> "Engagement | None":
        return await loader(info, "engagement_by_id", load_by_ids).load(UUID(str(id)))


@strawberry.federation.type(
    keys=["id"], description="A match (owned by matching); scheduling adds its engagement."
)
class Match:
    id: strawberry.ID

    @field(description="The engagement scheduling this match; null until the approval is processed.")
    async def engagement(self, info: Info[Any, Any]) -> Engagement | None:
        return await loader(info, "engagement_by_match", load_by_match_ids).load(UUID(str(self.id)))

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> "Match":
        return Match(id=id)


def to_graphql(e: models.Engagement) -> Engagement:
    return Engagement(
        id=strawberry.ID(str(e.id)),
        match_id=strawberry.ID(str(e.match_id)),
        program_id=strawberry.ID(str(e.program_id)),
        participant_id=strawberry.ID(str(e.participant_id)),
        provider_id=strawberry.ID(str(e.provider_id)),
        provider_person_id=strawberry.ID(str(e.provider_person_id)),
        provider_kind=e.provider_kind,
        track=e.track,
        status=e.status,
        cadence=e.cadence,
        session_minutes=e.session_minutes,
        participant_timezone=e.participant_timezone,
        provider_timezone=e.provider_timezone,
        approved_at=e.approved_at,
        ended_at=e.ended_at,
    )


async def load_by_ids(
    session: AsyncSession, principal: Principal, ids: Sequence[UUID]
) -> list[Engagement | None]:
    found = {e.id: e for e in await repository.list_readable_by_ids(session, principal, ids)}
    return [to_graphql(found[i]) if i in found else None for i in ids]


async def load_by_match_ids(
    session: AsyncSession, principal: Principal, match_ids: Sequence[UUID]
) -> list[Engagement | None]:
    found = {
        e.match_id: e for e in await repository.list_readable_by_match_ids(session, principal, match_ids)
    }
    return [to_graphql(found[i]) if i in found else None for i in match_ids]


@strawberry.type
class EngagementQuery:
    @field(description="One engagement, if the caller may see it.")
    async def engagement(self, info: Info[Any, Any], id: strawberry.ID) -> Engagement | None:
        require_scope(info, "scheduling:read")
        engagement_id = parse_id(id)
        if engagement_id is None:
            return None
        return await loader(info, "engagement_by_id", load_by_ids).load(engagement_id)

    @field(
        description="Engagements the caller may see, optionally of one participant, newest first, one page "
        "at a time (limit 1-500)."
    )
    async def engagements(
        self,
        info: Info[Any, Any],
        participant_id: strawberry.ID | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> Page[Engagement]:
        require_scope(info, "scheduling:read")
        params = page_params(limit, offset)
        person = parse_id(participant_id) if participant_id is not None else None
        if participant_id is not None and person is None:
            return graphql_page([], 0, params, to_graphql)
        async with exclusive_session(info) as session:
            rows, total = await service.page_engagements(
                session, info.context["principal"], page=params, participant_id=person
            )
        return graphql_page(rows, total, params, to_graphql)
