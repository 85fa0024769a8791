"""Match and Program entities (a program's list edges are its matches and providers, so both live here),
and the program and match mutations: the same service calls, scopes and object checks as REST."""

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.federation.schema_directives import Key
from strawberry.types import Info

from tandem_kit.auth import Principal
from tandem_kit.graphql import (
    JSONInput,
    Page,
    exclusive_session,
    field,
    graphql_input,
    graphql_page,
    keyed_loader,
    mutation_session,
    page_params,
    parse_id,
    require_scope,
)
from tandem_matching import models
from tandem_matching.consent_client.gate import ConsentGate
from tandem_matching.match import repository, service
from tandem_matching.match.schemas import MatchEnd, Reassign, ReviewClear
from tandem_matching.program import service as program_service
from tandem_matching.program.domain import StatusAction
from tandem_matching.program.graphql import WeightSet, load_programs, load_weights, weights_to_graphql
from tandem_matching.program.schemas import ProgramCreate, ProgramStatusUpdate, WeightsUpdate
from tandem_matching.provider import graphql as provider_graphql
from tandem_matching.provider import service as provider_service
from tandem_matching.provider.graphql import Provider
from tandem_matching.sponsor import graphql as sponsor_graphql


@strawberry.federation.type(keys=[Key(fields="id", resolvable=False)])
class Person:
    """A person of the HRIS directory; other subgraphs contribute their fields."""

    id: strawberry.ID


def person(person_id: UUID) -> Person:
    return Person(id=strawberry.ID(str(person_id)))


@strawberry.federation.type(keys=["id"])
class Program:
    id: strawberry.ID
    name: str
    tracks: list[str]
    starts_on: date
    ends_on: date
    coach_caseload_limit: int
    mentor_high_touch_limit: int
    active_leaders: int | None
    status: str = strawberry.field(
        description="active; paused (no new intakes, proposals or approvals; running matches go on); closed."
    )
    status_reason: str | None
    status_changed_at: datetime | None
    status_changed_by: str | None

    @field(description="The current signal weights.")
    async def weights(self, info: Info[Any, Any]) -> WeightSet:
        version = await keyed_loader(info, "weights", load_weights).load(UUID(self.id))
        assert version is not None
        return weights_to_graphql(version)

    @field(description="The program's matches the caller may see, history included (paged).")
    async def matches(self, info: Info[Any, Any], limit: int = 100, offset: int = 0) -> Page["Match"]:
        return await matches_page(info, UUID(self.id), limit, offset)

    @field(description="The program's coaches and mentors the caller may see (paged).")
    async def providers(self, info: Info[Any, Any], limit: int = 100, offset: int = 0) -> Page[Provider]:
        params = page_params(limit, offset)
        principal: Principal = info.context["principal"]
        async with exclusive_session(info) as session:
            rows, total = await provider_service.list_providers(session, principal, UUID(self.id), params)
        return graphql_page(rows, total, params, provider_graphql.to_graphql)

    @classmethod
    async def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> "Program | None":
        require_scope(info, "matching:read")
        program = await keyed_loader(info, "programs", load_programs).load(UUID(id))
        return program_to_graphql(program) if program else None


def program_to_graphql(p: models.Program) -> Program:
    return Program(
        id=strawberry.ID(str(p.id)),
        name=p.name,
        tracks=list(p.tracks),
        starts_on=p.starts_on,
        ends_on=p.ends_on,
        coach_caseload_limit=p.coach_caseload_limit,
        mentor_high_touch_limit=p.mentor_high_touch_limit,
        active_leaders=p.active_leaders,
        status=p.status,
        status_reason=p.status_reason,
        status_changed_at=p.status_changed_at,
        status_changed_by=p.status_changed_by,
    )


async def program_of(info: Info[Any, Any], program_id: UUID) -> Program:
    """The program of a match or proposal the caller already sees."""
    program = await keyed_loader(info, "programs", load_programs).load(program_id)
    assert program is not None
    return program_to_graphql(program)


@strawberry.federation.type(keys=["id"])
class Match:
    id: strawberry.ID
    score: float
    track: str
    provider_kind: str
    status: str
    approved_at: datetime
    approved_by: str
    ended_at: datetime | None
    end_reason: str | None
    previous_match_id: strawberry.ID | None
    review_reason_: strawberry.Private[str | None]
    flagged_at_: strawberry.Private[datetime | None]
    program_id: strawberry.Private[UUID]
    participant_id: strawberry.Private[UUID]
    provider_id: strawberry.Private[UUID]

    @field(
        description="Why the match waits for a program manager's review (job_changed), or null; "
        "program managers and machine clients only."
    )
    def review_reason(self, info: Info[Any, Any]) -> str | None:
        principal: Principal = info.context["principal"]
        return self.review_reason_ if principal.sees_everything else None

    @field(description="When the match was flagged for review, or null (program managers only).")
    def flagged_at(self, info: Info[Any, Any]) -> datetime | None:
        principal: Principal = info.context["principal"]
        return self.flagged_at_ if principal.sees_everything else None

    @field(description="The participant (consent and the directory contribute its fields).")
    def participant(self) -> Person:
        return person(self.participant_id)

    @strawberry.field
    async def provider(self, info: Info[Any, Any]) -> Provider:
        return await provider_graphql.linked(info, self.provider_id)

    @strawberry.field
    async def program(self, info: Info[Any, Any]) -> Program:
        return await program_of(info, self.program_id)

    @field(description="The sponsor actions logged for a mentor match, retracted ones included, paged.")
    async def sponsor_actions(
        self, info: Info[Any, Any], limit: int = 100, offset: int = 0
    ) -> Page[sponsor_graphql.SponsorAction]:
        return await sponsor_graphql.page_for(info, UUID(self.id), limit, offset)

    @field(
        description="A mentor match: at least one sponsor action within 15 weeks of approval; null for a coach."
    )
    async def sponsor_actions_by_week_15(self, info: Info[Any, Any]) -> bool | None:
        return await keyed_loader(info, "sponsor_week_15", sponsor_graphql.load_week_15).load(UUID(self.id))

    @classmethod
    async def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> "Match | None":
        require_scope(info, "matching:read")
        match = await keyed_loader(info, "matches", load_matches).load(UUID(id))
        return to_graphql(match) if match else None


def to_graphql(m: models.Match) -> Match:
    return Match(
        id=strawberry.ID(str(m.id)),
        score=m.score,
        track=m.track,
        provider_kind=m.provider_kind,
        status=m.status,
        approved_at=m.approved_at,
        approved_by=m.approved_by,
        ended_at=m.ended_at,
        end_reason=m.end_reason,
        previous_match_id=strawberry.ID(str(m.previous_match_id)) if m.previous_match_id else None,
        review_reason_=m.review_reason,
        flagged_at_=m.flagged_at,
        program_id=m.program_id,
        participant_id=m.participant_id,
        provider_id=m.provider_id,
    )


async def load_matches(
    session: AsyncSession, principal: Principal, ids: Sequence[UUID]
) -> dict[UUID, models.Match]:
    return {m.id: m for m in await repository.get_many(session, principal, ids)}


async def matches_page(info: Info[Any, Any], program_id: UUID, limit: int, offset: int) -> Page[Match]:
    """One page of a program's matches the caller may see (one query for the page, one for the total)."""
    params = page_params(limit, offset)
    principal: Principal = info.context["principal"]
    async with exclusive_session(info) as session:
        rows, total = await repository.list_for_program(session, principal, program_id, params)
    return graphql_page(rows, total, params, to_graphql)


@strawberry.type
class MatchQuery:
    @field(description="A program by id.")
    async def program(self, info: Info[Any, Any], id: strawberry.ID) -> Program | None:
        require_scope(info, "matching:read")
        key = parse_id(id)
        program = await keyed_loader(info, "programs", load_programs).load(key) if key else None
        return program_to_graphql(program) if program else None

    @field(description="A match by id (parties see their own; managers all).")
    async def match(self, info: Info[Any, Any], id: strawberry.ID) -> Match | None:
        require_scope(info, "matching:read")
        key = parse_id(id)
        match = await keyed_loader(info, "matches", load_matches).load(key) if key else None
        return to_graphql(match) if match else None

    @field(description="A program's matches the caller may see, history included (paged).")
    async def matches(
        self, info: Info[Any, Any], program_id: strawberry.ID, limit: int = 100, offset: int = 0
    ) -> Page[Match]:
        require_scope(info, "matching:read")
        key = parse_id(program_id)
        if key is None:
            params = page_params(limit, offset)
            return graphql_page([], 0, params, to_graphql)
        return await matches_page(info, key, limit, offset)


def consent_gate(info: Info[Any, Any]) -> ConsentGate:
    gate: ConsentGate = info.context["request"].app.state.consent_gate
    return gate


@strawberry.type(description="A reassignment: the ended match and the one that replaces it.")
class Reassignment:
    old_match: Match
    new_match: Match


@strawberry.type
class ProgramMutation:
    @field(description="Create a program (input: the body of REST's POST /programs); program managers.")
    async def create_program(self, info: Info[Any, Any], input: JSONInput) -> Program:
        principal = require_scope(info, "matching:decide")
        data = graphql_input(ProgramCreate, "input", input)
        async with mutation_session(info) as session:
            program = await program_service.create_program(session, principal, data)
        return program_to_graphql(program)

    @field(
        description="Replace the program's weights with a new version (input: REST's PUT .../weights body)."
    )
    async def update_weights(self, info: Info[Any, Any], program_id: UUID, input: JSONInput) -> WeightSet:
        principal = require_scope(info, "matching:decide")
        data = graphql_input(WeightsUpdate, "input", input)
        async with mutation_session(info) as session:
            version = await program_service.update_weights(session, principal, program_id, data)
        return weights_to_graphql(version)

    @field(
        description="Pause onboarding: new intakes, proposals and approvals are refused (409 program-paused)."
    )
    async def pause_program(self, info: Info[Any, Any], id: UUID, reason: str) -> Program:
        return await _change_status(info, id, StatusAction.PAUSE, reason)

    @field(description="Resume a paused program's onboarding.")
    async def resume_program(self, info: Info[Any, Any], id: UUID, reason: str) -> Program:
        return await _change_status(info, id, StatusAction.RESUME, reason)

    @field(description="Close the program for good: nothing new starts in it; it cannot be reopened.")
    async def close_program(self, info: Info[Any, Any], id: UUID, reason: str) -> Program:
        return await _change_status(info, id, StatusAction.CLOSE, reason)


async def _change_status(
    info: Info[Any, Any], program_id: UUID, action: StatusAction, reason: str
) -> Program:
    principal = require_scope(info, "matching:decide")
    data = graphql_input(ProgramStatusUpdate, "input", {"reason": reason})
    async with mutation_session(info) as session:
        program = await program_service.change_status(session, principal, program_id, action, data)
    return program_to_graphql(program)


@strawberry.type
class MatchMutation:
    @field(
        description="End an active match with a reason (completed, withdrawn or terminated); emits MatchEnded."
    )
    async def end_match(self, info: Info[Any, Any], id: UUID, reason: str, note: str | None = None) -> Match:
        principal = require_scope(info, "matching:decide")
        data = graphql_input(MatchEnd, "input", {"reason": reason, "note": note})
        async with mutation_session(info) as session:
            match = await service.end(session, principal, id, reason=data.reason, note=data.note)
        return to_graphql(match)

    @field(description="End a match with a reason and match a new provider of the same program and kind.")
    async def reassign_match(
        self, info: Info[Any, Any], id: UUID, provider_id: UUID, reason: str
    ) -> Reassignment:
        principal = require_scope(info, "matching:decide")
        data = graphql_input(Reassign, "input", {"provider_id": provider_id, "reason": reason})
        async with mutation_session(info) as session:
            old, new = await service.reassign(
                session, principal, consent_gate(info), id, provider_id=data.provider_id, reason=data.reason
            )
        return Reassignment(old_match=to_graphql(old), new_match=to_graphql(new))

    @field(description="Clear a match's review flag with a note (audited).")
    async def clear_match_review(self, info: Info[Any, Any], id: UUID, note: str) -> Match:
        principal = require_scope(info, "matching:decide")
        data = graphql_input(ReviewClear, "input", {"note": note})
        async with mutation_session(info) as session:
            match = await service.clear_review(session, principal, id, note=data.note)
        return to_graphql(match)
