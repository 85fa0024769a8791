"""GraphQL for the attendance ledger: the same service calls, scopes and checks as REST."""

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
    graphql_input,
    graphql_page,
    loader,
    mutation_session,
    page_params,
    require_scope,
)
from tandem_scheduling import models
from tandem_scheduling.attendance import domain, repository, service
from tandem_scheduling.attendance.schemas import AttendanceMarkCreate


@strawberry.type(name="AttendanceMark", description="One revision of a session's attendance mark.")
class AttendanceMarkType:
    revision: int
    outcome: str = strawberry.field(
        description="attended, no_show_participant, no_show_provider, cancelled_late or rescheduled."
    )
    recorded_by: str = strawberry.field(description="Person id, a machine client's subject, or vendor:<id>.")
    recorded_by_role: str = strawberry.field(
        description="participant, provider, program_manager, client or vendor."
    )
    reason: str | None = strawberry.field(description="Why this revision corrected the previous one.")
    recorded_at: datetime


@strawberry.type(description="A vendor report that disagrees with the ledger, open until settled.")
class AttendanceConflict:
    session_id: strawberry.ID
    engagement_id: strawberry.ID
    vendor_outcome: str = strawberry.field(description="completed or no_show.")
    ledger_outcome: str | None
    reported_at: datetime
    opened_at: datetime


@strawberry.type(description="A session's current attendance mark and any open vendor conflict.")
class Attendance:
    session_id: strawberry.ID
    engagement_id: strawberry.ID
    mark: AttendanceMarkType | None
    conflict: AttendanceConflict | None

    @field(description="Every revision of the mark, oldest first.")
    async def history(self, info: Info[Any, Any]) -> list[AttendanceMarkType]:
        # Built only for a session the caller may see (the query or the mutation checked it).
        return await loader(info, "attendance_history", load_history).load(UUID(str(self.session_id)))


@strawberry.type(
    description="An engagement's attendance against the floor (rescheduled sessions not counted)."
)
class EngagementAttendance:
    attended: int
    due: int = strawberry.field(description="Sessions with a recorded outcome other than rescheduled.")
    rate: float | None = strawberry.field(description="attended / due; null while nothing is due.")
    floor: float
    min_outcomes: int
    flagged: bool = strawberry.field(description="Under the floor with at least min_outcomes due.")


def mark_to_graphql(m: models.AttendanceMark) -> AttendanceMarkType:
    return AttendanceMarkType(
        revision=m.revision,
        outcome=m.outcome,
        recorded_by=m.recorded_by,
        recorded_by_role=m.recorded_by_role,
        reason=m.reason,
        recorded_at=m.recorded_at,
    )


def conflict_to_graphql(c: models.AttendanceConflict) -> AttendanceConflict:
    return AttendanceConflict(
        session_id=strawberry.ID(str(c.session_id)),
        engagement_id=strawberry.ID(str(c.engagement_id)),
        vendor_outcome=c.vendor_outcome,
        ledger_outcome=c.ledger_outcome,
        reported_at=c.reported_at,
        opened_at=c.opened_at,
    )


def to_graphql(view: service.AttendanceView) -> Attendance:
    return Attendance(
        session_id=strawberry.ID(str(view.session_id)),
        engagement_id=strawberry.ID(str(view.engagement_id)),
        mark=mark_to_graphql(view.mark) if view.mark else None,
        conflict=conflict_to_graphql(view.conflict) if view.conflict else None,
    )


def standing_to_graphql(standing: domain.Standing) -> EngagementAttendance:
    return EngagementAttendance(
        attended=standing.attended,
        due=standing.due,
        rate=standing.rate,
        floor=standing.floor,
        min_outcomes=standing.min_outcomes,
        flagged=standing.flagged,
    )


async def load_history(
    session: AsyncSession, _principal: Principal, session_ids: Sequence[UUID]
) -> list[list[AttendanceMarkType]]:
    grouped = await repository.histories(session, session_ids)
    return [[mark_to_graphql(m) for m in grouped[i]] for i in session_ids]


def policy_of(info: Info[Any, Any]) -> service.AttendancePolicy:
    policy: service.AttendancePolicy = info.context["request"].app.state.attendance_policy
    return policy


@strawberry.type
class AttendanceQuery:
    @field(description="A session's attendance (an error at this path for a session the caller may not see).")
    async def attendance(self, info: Info[Any, Any], session_id: UUID) -> Attendance | None:
        principal = require_scope(info, "scheduling:read")
        async with exclusive_session(info) as session:
            return to_graphql(await service.get_attendance(session, principal, session_id))

    @field(description="A program's open attendance conflicts, oldest first (program managers).")
    async def attendance_conflicts(
        self, info: Info[Any, Any], program_id: UUID, limit: int = 100, offset: int = 0
    ) -> Page[AttendanceConflict] | None:
        principal = require_scope(info, "scheduling:read")
        params = page_params(limit, offset)
        async with exclusive_session(info) as session:
            rows, total = await service.page_open_conflicts(session, principal, program_id, page=params)
        return graphql_page(rows, total, params, conflict_to_graphql)


@strawberry.type
class AttendanceMutation:
    @field(
        description="Mark how a session ended (as REST `PUT /sessions/{id}/attendance`); the same mark "
        "again changes nothing."
    )
    async def record_attendance(
        self, info: Info[Any, Any], session_id: UUID, outcome: str
    ) -> Attendance | None:
        principal = require_scope(info, "scheduling:write")
        data = graphql_input(AttendanceMarkCreate, "input", {"outcome": outcome})
        async with mutation_session(info) as session:
            view = await service.record(session, principal, session_id, data, policy=policy_of(info))
        return to_graphql(view)

    @field(
        description="Correct a session's mark with a reason (a new revision; the reason stays in "
        "scheduling). A program manager confirms a mark against a vendor conflict with the same outcome."
    )
    async def correct_attendance(
        self, info: Info[Any, Any], session_id: UUID, outcome: str, reason: str
    ) -> Attendance | None:
        principal = require_scope(info, "scheduling:write")
        data = graphql_input(AttendanceMarkCreate, "input", {"outcome": outcome, "reason": reason})
        async with mutation_session(info) as session:
            view = await service.record(session, principal, session_id, data, policy=policy_of(info))
        return to_graphql(view)
