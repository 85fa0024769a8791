"""The Intake type and the intake mutations (the same service calls, scopes and checks as REST)."""

from datetime import datetime
from typing import Any
from uuid import UUID

import strawberry
from strawberry.types import Info

from tandem_kit.graphql import JSONInput, field, graphql_input, mutation_session, require_scope
from tandem_matching import models
from tandem_matching.intake import service
from tandem_matching.intake.domain import is_high_political_risk
from tandem_matching.intake.schemas import IntakeCreate, TrackOverride


@strawberry.type(description="A participant's intake and the track the seed's matrix decided.")
class Intake:
    id: strawberry.ID
    program_id: strawberry.ID
    cohort_id: strawberry.ID | None
    person_id: strawberry.ID
    triggers: list[str]
    track: str = strawberry.field(description="coach, mentor, coach_then_mentor or mentor_plus_coaching.")
    track_reason: str
    track_overridden: bool
    promotion_related: bool
    high_political_risk: bool
    case_flags: list[str] = strawberry.field(description="Cases routed to external coaches only.")
    created_at: datetime


def to_graphql(i: models.Intake) -> Intake:
    return Intake(
        id=strawberry.ID(str(i.id)),
        program_id=strawberry.ID(str(i.program_id)),
        cohort_id=strawberry.ID(str(i.cohort_id)) if i.cohort_id else None,
        person_id=strawberry.ID(str(i.person_id)),
        triggers=list(i.triggers),
        track=i.track,
        track_reason=i.track_reason,
        track_overridden=i.track_overridden,
        promotion_related=i.promotion_related,
        high_political_risk=is_high_political_risk(i.political_risk_flags),
        case_flags=list(i.case_flags),
        created_at=i.created_at,
    )


@strawberry.type
class IntakeMutation:
    @field(
        description="Submit a participant's intake (input: the body of REST's POST /programs/{id}/intakes); "
        "a participant may submit their own."
    )
    async def submit_intake(self, info: Info[Any, Any], program_id: UUID, input: JSONInput) -> Intake:
        principal = require_scope(info, "matching:write")
        data = graphql_input(IntakeCreate, "input", input)
        async with mutation_session(info) as session:
            intake = await service.submit_intake(session, principal, program_id, data)
        return to_graphql(intake)

    @field(description="Override the decided track with a reason (program managers; audited).")
    async def override_track(self, info: Info[Any, Any], intake_id: UUID, track: str, reason: str) -> Intake:
        principal = require_scope(info, "matching:decide")
        data = graphql_input(TrackOverride, "input", {"track": track, "reason": reason})
        async with mutation_session(info) as session:
            intake = await service.override_track(session, principal, intake_id, data)
        return to_graphql(intake)
