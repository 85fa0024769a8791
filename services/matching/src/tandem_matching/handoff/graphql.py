"""The `Handoff` type, its queries and the checklist mutation (same service calls as REST)."""

from datetime import date, datetime
from typing import Any
from uuid import UUID

import strawberry
from strawberry.types import Info

from tandem_kit.graphql import (
    Page,
    exclusive_session,
    field,
    graphql_input,
    graphql_page,
    mutation_session,
    page_params,
    require_scope,
)
from tandem_matching.consent_client.gate import ConsentGate
from tandem_matching.handoff import service
from tandem_matching.handoff.schemas import Handoff as HandoffRead
from tandem_matching.handoff.schemas import HandoffChecklistUpdate
from tandem_matching.handoff.schemas import HandoffContext as ContextRead


@strawberry.type(description="One item of a handoff checklist.")
class HandoffChecklistItem:
    item: str
    done: bool
    done_at: datetime | None
    done_by: str | None


@strawberry.type(description="A skill the participant wants to grow, 1-5.")
class WantedSkill:
    skill: str
    level: int


@strawberry.type(description="Goals from the intake.")
class HandoffGoals:
    behavioural_goals: list[str]
    wanted_skills: list[WantedSkill]


@strawberry.type(description="Progress of the coaching sprint.")
class HandoffProgress:
    coaching_started_on: date
    coaching_completed_on: date
    sprint_weeks: int


@strawberry.type(description="What travels to the mentor under the participant's `handoff` consent.")
class HandoffContext:
    goals: HandoffGoals
    progress: HandoffProgress


def context_to_graphql(c: ContextRead) -> HandoffContext:
    return HandoffContext(
        goals=HandoffGoals(
            behavioural_goals=list(c.goals.behavioural_goals),
            wanted_skills=[WantedSkill(skill=k, level=v) for k, v in sorted(c.goals.wanted_skills.items())],
        ),
        progress=HandoffProgress(**c.progress.model_dump()),
    )


@strawberry.type(description="A dual-track participant's handoff from the coaching sprint to a mentor.")
class Handoff:
    id: strawberry.ID
    program_id: strawberry.ID
    participant_id: strawberry.ID
    from_match_id: strawberry.ID
    to_match_id: strawberry.ID | None
    proposal_id: strawberry.ID | None
    shared_context: bool = strawberry.field(
        description="Whether goals and progress travel (the participant's `handoff` consent, asked at every read)."
    )
    context: HandoffContext | None = strawberry.field(
        description="Goals and progress; null without the consent."
    )
    note: str | None
    checklist: list[HandoffChecklistItem]
    prepared_at: datetime


def to_graphql(h: HandoffRead) -> Handoff:
    return Handoff(
        id=strawberry.ID(str(h.id)),
        program_id=strawberry.ID(str(h.program_id)),
        participant_id=strawberry.ID(str(h.participant_id)),
        from_match_id=strawberry.ID(str(h.from_match_id)),
        to_match_id=strawberry.ID(str(h.to_match_id)) if h.to_match_id else None,
        proposal_id=strawberry.ID(str(h.proposal_id)) if h.proposal_id else None,
        shared_context=h.shared_context,
        context=context_to_graphql(h.context) if h.context else None,
        note=h.note,
        checklist=[HandoffChecklistItem(**i.model_dump()) for i in h.checklist],
        prepared_at=h.prepared_at,
    )


def _gate(info: Info[Any, Any]) -> ConsentGate:
    gate: ConsentGate = info.context["request"].app.state.handoff_gate
    return gate


def _uuid(value: str) -> UUID | None:
    try:
        return UUID(str(value))
    except ValueError:
        return None


@strawberry.type
class HandoffQuery:
    @field(description="A handoff (program managers, the participant, the mentor once approved).")
    async def handoff(self, info: Info[Any, Any], id: strawberry.ID) -> Handoff | None:
        principal = require_scope(info, "matching:read")
        key = _uuid(id)
        if key is None:
            return None
        async with exclusive_session(info) as session:
            try:
                found = await service.read(session, principal, _gate(info), key)
            except service.HandoffNotFound:
                return None
        return to_graphql(found)

    @field(description="A participant's handoffs the caller may read, paged.")
    async def handoffs(
        self, info: Info[Any, Any], participant_id: strawberry.ID, limit: int = 100, offset: int = 0
    ) -> Page[Handoff]:
        principal = require_scope(info, "matching:read")
        params = page_params(limit, offset)
        key = _uuid(participant_id)
        if key is None:
            return Page(items=[], total=0, limit=params.limit, offset=params.offset)
        async with exclusive_session(info) as session:
            rows, total = await service.list_handoffs(session, principal, key, params)
        shared = await service.still_shared(_gate(info), rows)
        return graphql_page(
            rows, total, params, lambda h: to_graphql(service.to_read(h, shared=h.id in shared))
        )


@strawberry.type
class HandoffMutation:
    @field(description="Tick or untick handoff checklist items (a repeated tick changes nothing).")
    async def update_handoff_checklist(
        self,
        info: Info[Any, Any],
        id: strawberry.ID,
        coaching_closing_notes_submitted: bool | None = None,
        goals_reviewed: bool | None = None,
        progress_summary_shared: bool | None = None,
        mentor_intro_meeting_booked: bool | None = None,
    ) -> Handoff:
        principal = require_scope(info, "matching:write")
        data = graphql_input(
            HandoffChecklistUpdate,
            "input",
            {
                "coaching_closing_notes_submitted": coaching_closing_notes_submitted,
                "goals_reviewed": goals_reviewed,
                "progress_summary_shared": progress_summary_shared,
                "mentor_intro_meeting_booked": mentor_intro_meeting_booked,
            },
        )
        key = _uuid(id)
        if key is None:
            raise service.HandoffNotFound(f"No handoff with id {id}.")
        async with mutation_session(info) as session:
            handoff = await service.update_checklist(session, principal, key, data)
        shared = await service.still_shared(_gate(info), [handoff])
        return to_graphql(service.to_read(handoff, shared=handoff.id in shared))
