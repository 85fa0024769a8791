"""The matching subgraph (Apollo Federation 2): Program, Proposal, Match and Provider entities.

Every list goes through a DataLoader cached per request in `info.context["loaders"]`, and every
object read goes through the same readable statements as REST.
"""

from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, TypeVar
from uuid import UUID

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader
from strawberry.federation.schema_directives import Key
from strawberry.types import Info

from tandem_kit.app import require_scope
from tandem_kit.auth import Principal
from tandem_kit.graphql import field, loader
from tandem_matching import models, profiles
from tandem_matching.match import repository as match_repository
from tandem_matching.program import repository as program_repository
from tandem_matching.proposal import repository as proposal_repository
from tandem_matching.provider import repository as provider_repository
from tandem_matching.scoring.domain import ALL_SIGNALS

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def _loader(
    info: Info[Any, Any],
    name: str,
    fetch: Callable[[AsyncSession, Principal, Sequence[K]], Awaitable[Mapping[K, V]]],
) -> DataLoader[K, V | None]:
    """The kit's per-request DataLoader over a fetch that answers by key (absent keys load None)."""

    async def aligned(session: AsyncSession, principal: Principal, keys: Sequence[K]) -> list[V | None]:
        found = await fetch(session, principal, keys)
        return [found.get(key) for key in keys]

    return loader(info, name, aligned)


async def _programs(
    session: AsyncSession, principal: Principal, ids: Sequence[UUID]
) -> dict[UUID, models.Program]:
    return {p.id: p for p in await program_repository.get_programs(session, ids)}


async def _weights(
    session: AsyncSession, principal: Principal, ids: Sequence[UUID]
) -> dict[UUID, models.WeightSetVersion]:
    return {w.program_id: w for w in await program_repository.current_weights_many(session, ids)}


async def _readable_providers(
    session: AsyncSession, principal: Principal, ids: Sequence[UUID]
) -> dict[UUID, models.Provider]:
    return {p.id: p for p in await provider_repository.get_many(session, principal, ids)}


async def _linked_providers(
    session: AsyncSession, principal: Principal, ids: Sequence[UUID]
) -> dict[UUID, models.Provider]:
    # Reached through a match or proposal the caller may already see: the provider comes with it.
    return {p.id: p for p in await provider_repository.by_ids(session, ids)}


async def _matches(
    session: AsyncSession, principal: Principal, ids: Sequence[UUID]
) -> dict[UUID, models.Match]:
    return {m.id: m for m in await match_repository.get_many(session, principal, ids)}


async def _proposals(
    session: AsyncSession, principal: Principal, ids: Sequence[UUID]
) -> dict[UUID, models.Proposal]:
    return {p.id: p for p in await proposal_repository.get_many(session, principal, ids)}


async def _candidates(
    session: AsyncSession, principal: Principal, ids: Sequence[UUID]
) -> dict[UUID, list[models.ProposalCandidate]]:
    grouped: dict[UUID, list[models.ProposalCandidate]] = {i: [] for i in ids}
    for row in await proposal_repository.candidates_of(session, ids):
        grouped[row.proposal_id].append(row)
    return grouped


async def _program_matches(
    session: AsyncSession, principal: Principal, ids: Sequence[UUID]
) -> dict[UUID, list[models.Match]]:
    grouped: dict[UUID, list[models.Match]] = {i: [] for i in ids}
    for match in await match_repository.list_for_programs(session, principal, ids):
        grouped[match.program_id].append(match)
    return grouped


def _read(info: Info[Any, Any]) -> None:
    require_scope(info, "matching:read")


@strawberry.federation.type(keys=[Key(fields="id", resolvable=False)])
class Person:
    """A person of the HRIS directory; other subgraphs contribute their fields."""

    id: strawberry.ID


@strawberry.type
class WeightSet:
    version: int
    technical_skills: int
    behavioural_goals: int
    sponsorship_history: int
    availability_overlap: int
    past_success: int


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

    @field(description="The current signal weights.")
    async def weights(self, info: Info) -> WeightSet:
        version = await _loader(info, "weights", _weights).load(UUID(self.id))
        assert version is not None
        return WeightSet(version=version.version, **version.weights)

    @field(description="The program's matches the caller may see.")
    async def matches(self, info: Info) -> list["Match"]:
        rows = await _loader(info, "program_matches", _program_matches).load(UUID(self.id))
        return [Match.of(m) for m in rows or []]

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> "Program | None":
        _read(info)
        program = await _loader(info, "programs", _programs).load(UUID(id))
        return cls.of(program) if program else None

    @classmethod
    def of(cls, p: models.Program) -> "Program":
        return cls(
            id=strawberry.ID(str(p.id)),
            name=p.name,
            tracks=list(p.tracks),
            starts_on=p.starts_on,
            ends_on=p.ends_on,
            coach_caseload_limit=p.coach_caseload_limit,
            mentor_high_touch_limit=p.mentor_high_touch_limit,
            active_leaders=p.active_leaders,
        )


@strawberry.federation.type(keys=["id"])
class Provider:
    id: strawberry.ID
    program_id: strawberry.ID
    person_id: strawberry.ID
    kind: str
    timezone: str
    languages: list[str]
    capacity: int
    active_load: int
    eligible: bool
    ineligible_reasons: list[str]

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> "Provider | None":
        _read(info)
        provider = await _loader(info, "readable_providers", _readable_providers).load(UUID(id))
        return cls.of(provider) if provider else None

    @classmethod
    def of(cls, p: models.Provider) -> "Provider":
        decision = profiles.eligibility(p)
        return cls(
            id=strawberry.ID(str(p.id)),
            program_id=strawberry.ID(str(p.program_id)),
            person_id=strawberry.ID(str(p.person_id)),
            kind=p.kind,
            timezone=p.timezone,
            languages=list(p.languages),
            capacity=p.capacity,
            active_load=p.active_load,
            eligible=decision.eligible,
            ineligible_reasons=list(decision.reasons),
        )


@strawberry.type
class SignalContribution:
    signal: str
    value: float
    nominal_weight: float
    weight_used: float
    contribution: float


@strawberry.type
class Candidate:
    rank: int
    score: float
    signals: list[SignalContribution]
    provider_id: strawberry.Private[UUID]

    @strawberry.field
    async def provider(self, info: Info) -> Provider:
        row = await _loader(info, "linked_providers", _linked_providers).load(self.provider_id)
        assert row is not None
        return Provider.of(row)


@strawberry.type
class ExcludedSignal:
    signal: str
    missing_fields: list[str]
    nominal_weight: float


@strawberry.federation.type(keys=["id"])
class Proposal:
    id: strawberry.ID
    status: str
    provider_kind: str
    weight_set_version: int
    excluded_signals: list[ExcludedSignal]
    redistributed_weight: float
    promotion_rule_applied: bool
    created_at: datetime
    program_id: strawberry.Private[UUID]
    participant_id: strawberry.Private[UUID]

    @strawberry.field
    def participant(self) -> Person:
        return Person(id=strawberry.ID(str(self.participant_id)))

    @strawberry.field
    async def program(self, info: Info) -> Program:
        program = await _loader(info, "programs", _programs).load(self.program_id)
        assert program is not None
        return Program.of(program)

    @field(description="Ranked candidates, best first, each explained signal by signal.")
    async def candidates(self, info: Info) -> list[Candidate]:
        rows = await _loader(info, "candidates", _candidates).load(UUID(self.id)) or []
        return [
            Candidate(
                rank=r.rank,
                score=r.score,
                provider_id=r.provider_id,
                signals=[
                    SignalContribution(signal=s.value, **r.signals[s.value])
                    for s in ALL_SIGNALS
                    if s.value in r.signals
                ],
            )
            for r in rows
        ]

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> "Proposal | None":
        _read(info)
        proposal = await _loader(info, "proposals", _proposals).load(UUID(id))
        return cls.of(proposal) if proposal else None

    @classmethod
    def of(cls, p: models.Proposal) -> "Proposal":
        return cls(
            id=strawberry.ID(str(p.id)),
            status=p.status,
            provider_kind=p.provider_kind,
            weight_set_version=p.weight_set_version,
            excluded_signals=[ExcludedSignal(**e) for e in p.excluded_signals],
            redistributed_weight=p.redistributed_weight,
            promotion_rule_applied=p.promotion_rule_applied,
            created_at=p.created_at,
            program_id=p.program_id,
            participant_id=p.participant_id,
        )


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
    program_id: strawberry.Private[UUID]
    participant_id: strawberry.Private[UUID]
    provider_id: strawberry.Private[UUID]

    @field(description="The participant (consent and the directory contribute its fields).")
    def participant(self) -> Person:
        return Person(id=strawberry.ID(str(self.participant_id)))

    @strawberry.field
    async def provider(self, info: Info) -> Provider:
        row = await _loader(info, "linked_providers", _linked_providers).load(self.provider_id)
        assert row is not None
        return Provider.of(row)

    @strawberry.field
    async def program(self, info: Info) -> Program:
        program = await _loader(info, "programs", _programs).load(self.program_id)
        assert program is not None
        return Program.of(program)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> "Match | None":
        _read(info)
        match = await _loader(info, "matches", _matches).load(UUID(id))
        return cls.of(match) if match else None

    @classmethod
    def of(cls, m: models.Match) -> "Match":
        return cls(
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
            program_id=m.program_id,
            participant_id=m.participant_id,
            provider_id=m.provider_id,
        )


def _uuid(value: strawberry.ID) -> UUID | None:
    try:
        return UUID(str(value))
    except ValueError:
        return None


@strawberry.type
class Query:
    @field(description="A program by id.")
    async def program(self, info: Info, id: strawberry.ID) -> Program | None:
        _read(info)
        key = _uuid(id)
        program = await _loader(info, "programs", _programs).load(key) if key else None
        return Program.of(program) if program else None

    @field(description="A match by id (parties see their own; managers all).")
    async def match(self, info: Info, id: strawberry.ID) -> Match | None:
        _read(info)
        key = _uuid(id)
        match = await _loader(info, "matches", _matches).load(key) if key else None
        return Match.of(match) if match else None

    @field(description="A program's matches the caller may see, history included.")
    async def matches(self, info: Info, program_id: strawberry.ID) -> list[Match]:
        _read(info)
        key = _uuid(program_id)
        rows = await _loader(info, "program_matches", _program_matches).load(key) if key else None
        return [Match.of(m) for m in rows or []]

    @field(description="A proposal by id (participants see their own; managers all).")
    async def proposal(self, info: Info, id: strawberry.ID) -> Proposal | None:
        _read(info)
        key = _uuid(id)
        proposal = await _loader(info, "proposals", _proposals).load(key) if key else None
        return Proposal.of(proposal) if proposal else None

    @field(description="A coach or mentor by id (people see their own provider rows).")
    async def provider(self, info: Info, id: strawberry.ID) -> Provider | None:
        _read(info)
        key = _uuid(id)
        provider = await _loader(info, "readable_providers", _readable_providers).load(key) if key else None
        return Provider.of(provider) if provider else None


schema = strawberry.federation.Schema(
    query=Query, types=[Person, Program, Provider, Proposal, Match], federation_version="2.7"
)
