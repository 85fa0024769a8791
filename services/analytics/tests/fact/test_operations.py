"""The issue-15 events become facts. Their producers are other helpers' work in progress, so these
tests publish contract-conformant envelopes (docs/contracts.md) to the real broker, or apply them
through the real consumer."""

import itertools
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tandem_analytics.fact import consent
from tandem_analytics.fact.consumers import analytics_consent, matching_facts, scheduling_facts
from tandem_analytics.models import (
    AgreementFact,
    AttendanceFact,
    ConsentPeriod,
    EscalationFact,
    GroupSeatFact,
    ProgramStatusFact,
    ProposalFact,
    ProviderFact,
    SlaFact,
    SlaOutcomeFact,
    SponsorActionFact,
)
from tandem_kit.events import EventConsumer, EventEnvelope, Subscription, subject_for
from tandem_kit.testing import eventually, sessionmaker_of

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def envelope(source: str, type_: str, data: dict[str, Any], *, at: datetime = T0) -> EventEnvelope:
    return EventEnvelope(id=uuid.uuid4(), type=type_, source=source, occurred_at=at, data=data)


async def apply(app: FastAPI, sub: Subscription, source: str, type_: str, data: dict[str, Any]) -> None:
    await EventConsumer(app.state.broker, sessionmaker_of(app), sub).apply(envelope(source, type_, data))


async def get(app: FastAPI, model: Any, *key: Any) -> Any:
    async with sessionmaker_of(app)() as session:
        return await session.get(model, key if len(key) > 1 else key[0])


def ids() -> dict[str, str]:
    return {k: str(uuid.uuid4()) for k in ("session_id", "engagement_id", "match_id", "program_id")}


def attended(base: dict[str, str], revision: int, **over: Any) -> dict[str, Any]:
    return {
        **base,
        "participant_id": base.get("participant_id", str(uuid.uuid4())),
        "provider_person_id": str(uuid.uuid4()),
        "kind": "regular",
        "starts_at": T0.isoformat(),
        "attended_at": (T0 + timedelta(hours=1)).isoformat(),
        "revision": revision,
        "recorded_by_role": "provider",
        **over,
    }


def missed(base: dict[str, str], revision: int, outcome: str = "no_show_participant") -> dict[str, Any]:
    data = attended(base, revision)
    del data["attended_at"]
    return {**data, "outcome": outcome, "recorded_at": (T0 + timedelta(hours=2)).isoformat()}


async def test_attendance_keeps_the_highest_revision_in_any_order(app: FastAPI) -> None:
    base = ids()
    await apply(app, scheduling_facts, "scheduling", "SessionMissed", missed(base, 2, "no_show_provider"))
    await apply(app, scheduling_facts, "scheduling", "SessionAttended", attended(base, 1))
    fact = await get(app, AttendanceFact, uuid.UUID(base["session_id"]))
    assert (fact.held, fact.outcome, fact.revision) == (False, "no_show_provider", 2)
    await apply(app, scheduling_facts, "scheduling", "SessionAttended", attended(base, 3))
    fact = await get(app, AttendanceFact, uuid.UUID(base["session_id"]))
    assert (fact.held, fact.outcome, fact.revision) == (True, "attended", 3)


@settings(max_examples=20, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order=st.permutations(range(3)))
async def test_attendance_any_order_same_fact(app: FastAPI, order: list[int]) -> None:
    base = ids()
    events = [
        ("SessionAttended", attended(base, 1)),
        ("SessionMissed", missed(base, 2)),
        ("SessionAttended", attended(base, 3)),
    ]
    for i in order:
        await apply(app, scheduling_facts, "scheduling", *events[i])
    fact = await get(app, AttendanceFact, uuid.UUID(base["session_id"]))
    assert (fact.held, fact.revision) == (True, 3)


async def test_sla_met_and_breached_per_layer_through_the_broker(app: FastAPI) -> None:
    engagement, match, program = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    common = {"engagement_id": str(engagement), "match_id": str(match), "program_id": str(program)}
    met = {
        **common,
        "layer": "coaching",
        "sla": "kickoff_held",
        "due_at": T0.isoformat(),
        "met_at": T0.isoformat(),
    }
    breached = {
        **common,
        "layer": "mentoring",
        "sla": "checkpoint_held",
        "due_at": T0.isoformat(),
        "breached_at": (T0 + timedelta(hours=1)).isoformat(),
    }
    js = await app.state.broker.jetstream(timeout=5)
    for type_, data in (("SlaMet", met), ("SlaBreached", breached)):
        env = envelope("scheduling", type_, data)
        await js.publish(subject_for("scheduling", type_), env.model_dump_json().encode())

    async def both() -> list[tuple[str, str | None, bool]]:
        async with sessionmaker_of(app)() as session:
            rows = await session.execute(
                select(SlaOutcomeFact.sla, SlaOutcomeFact.layer, SlaOutcomeFact.met)
                .where(SlaOutcomeFact.engagement_id == engagement)
                .order_by(SlaOutcomeFact.sla)
            )
            found = [tuple(r) for r in rows]
            return found if len(found) == 2 else []

    assert await eventually(both) == [
        ("checkpoint_held", "mentoring", False),
        ("kickoff_held", "coaching", True),
    ]
    # The older breach table still gets its row (existing KPIs read it).
    assert await get(app, SlaFact, engagement, "checkpoint_held") is not None


async def test_older_sla_breached_without_program_or_layer(app: FastAPI) -> None:
    engagement = uuid.uuid4()
    data = {
        "engagement_id": str(engagement),
        "match_id": str(uuid.uuid4()),
        "sla": "kickoff",
        "due_at": T0.isoformat(),
        "breached_at": T0.isoformat(),
    }
    await apply(app, scheduling_facts, "scheduling", "SlaBreached", data)
    fact = await get(app, SlaOutcomeFact, engagement, "kickoff", T0)
    assert (fact.program_id, fact.layer, fact.met) == (None, None, False)


async def test_escalation_resolved_before_opened(app: FastAPI) -> None:
    escalation, engagement, program = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    common = {
        "escalation_id": str(escalation),
        "engagement_id": str(engagement),
        "program_id": str(program),
        "layer": "coaching",
        "sla": "kickoff_held",
    }
    resolved_at = T0 + timedelta(days=2)
    await apply(
        app,
        scheduling_facts,
        "scheduling",
        "EscalationResolved",
        {**common, "resolved_at": resolved_at.isoformat(), "resolved_by": "pm"},
    )
    opened = {**common, "match_id": str(uuid.uuid4()), "due_at": T0.isoformat(), "opened_at": T0.isoformat()}
    await apply(app, scheduling_facts, "scheduling", "EscalationOpened", {**opened, "rebreach": True})
    fact = await get(app, EscalationFact, escalation)
    assert (fact.opened_at, fact.resolved_at, fact.rebreach) == (T0, resolved_at, True)


def sponsor_action(action: str, logged_at: datetime, outcome: str) -> dict[str, Any]:
    return {
        "action_id": action,
        "match_id": "5b7e4b0c-0000-4000-8000-000000000001",
        "program_id": "5b7e4b0c-0000-4000-8000-000000000002",
        "participant_id": "5b7e4b0c-0000-4000-8000-000000000003",
        "mentor_person_id": "5b7e4b0c-0000-4000-8000-000000000004",
        "kind": "introduction",
        "action_date": "2026-12-01",
        "outcome": outcome,
        "logged_at": logged_at.isoformat(),
    }


async def test_sponsor_action_latest_correction_wins_and_retraction_sticks(app: FastAPI) -> None:
    action = str(uuid.uuid4())
    later = T0 + timedelta(days=3)
    await apply(
        app, matching_facts, "matching", "SponsorActionLogged", sponsor_action(action, later, "succeeded")
    )
    await apply(app, matching_facts, "matching", "SponsorActionLogged", sponsor_action(action, T0, "pending"))
    fact = await get(app, SponsorActionFact, uuid.UUID(action))
    assert (fact.outcome, fact.logged_at, fact.action_date) == ("succeeded", later, date(2026, 12, 1))
    retraction = {
        "action_id": action,
        "match_id": fact.match_id.hex,
        "program_id": str(fact.program_id),
        "retracted_at": (later + timedelta(days=1)).isoformat(),
    }
    await apply(app, matching_facts, "matching", "SponsorActionRetracted", retraction)
    fact = await get(app, SponsorActionFact, uuid.UUID(action))
    assert fact.retracted_at == later + timedelta(days=1)


async def test_capacity_change_wins_over_a_late_registration(app: FastAPI) -> None:
    provider, person, program = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    common = {"provider_id": provider, "person_id": person, "program_id": program, "kind": "coach"}
    changed = {**common, "capacity": 8, "changed_at": (T0 + timedelta(days=5)).isoformat()}
    older = {**common, "capacity": 6, "changed_at": (T0 + timedelta(days=1)).isoformat()}
    await apply(app, matching_facts, "matching", "ProviderCapacityChanged", changed)
    await apply(app, matching_facts, "matching", "ProviderCapacityChanged", older)
    await apply(app, matching_facts, "matching", "ProviderRegistered", {**common, "capacity": 15})
    fact = await get(app, ProviderFact, uuid.UUID(provider))
    assert (fact.capacity, fact.capacity_changed_at) == (8, T0 + timedelta(days=5))


async def test_program_status_agreement_proposal_and_seats(app: FastAPI) -> None:
    program, participant = uuid.uuid4(), uuid.uuid4()
    for status, days in (("active", 0), ("paused", 10)):
        data = {
            "program_id": str(program),
            "status": status,
            "changed_at": (T0 + timedelta(days=days)).isoformat(),
            "changed_by": "pm",
        }
        await apply(app, matching_facts, "matching", "ProgramStatusChanged", data)
    assert (await get(app, ProgramStatusFact, program, T0 + timedelta(days=10))).status == "paused"

    agreement = uuid.uuid4()
    signed = {
        "agreement_id": str(agreement),
        "engagement_id": str(uuid.uuid4()),
        "match_id": str(uuid.uuid4()),
        "participant_id": str(participant),
        "provider_person_id": str(uuid.uuid4()),
        "version": 2,
        "signed_at": T0.isoformat(),
    }
    await apply(app, scheduling_facts, "scheduling", "WorkingAgreementSigned", signed)
    assert (await get(app, AgreementFact, agreement, 2)).participant_id == participant

    proposal = uuid.uuid4()
    created = {
        "proposal_id": str(proposal),
        "program_id": str(program),
        "participant_id": str(participant),
        "candidate_count": 3,
        "weight_set_version": 1,
    }
    await apply(app, matching_facts, "matching", "ProposalCreated", created)
    assert (await get(app, ProposalFact, proposal)).created_at == T0

    seat = uuid.uuid4()
    seat_common = {
        "group_session_id": str(uuid.uuid4()),
        "program_id": str(program),
        "person_id": str(participant),
        "seat_id": str(seat),
    }
    released = {
        **seat_common,
        "reason_code": "requested",
        "released_at": (T0 + timedelta(days=1)).isoformat(),
    }
    await apply(app, scheduling_facts, "scheduling", "GroupSeatReleased", released)
    booked = {
        **seat_common,
        "starts_at": (T0 + timedelta(days=7)).isoformat(),
        "ends_at": (T0 + timedelta(days=7, hours=1)).isoformat(),
        "from_waitlist": True,
        "booked_at": T0.isoformat(),
    }
    await apply(app, scheduling_facts, "scheduling", "GroupSeatBooked", booked)
    fact = await get(app, GroupSeatFact, seat)
    assert (fact.booked_at, fact.released_at, fact.release_reason, fact.from_waitlist) == (
        T0,
        T0 + timedelta(days=1),
        "requested",
        True,
    )


def consent_event(person: uuid.UUID, granted: bool, at: datetime) -> tuple[str, dict[str, Any]]:
    if granted:
        data = {
            "person_id": str(person),
            "purpose": "analytics",
            "notice_version": 1,
            "granted_at": at.isoformat(),
        }
        return "ConsentGranted", data
    return "ConsentWithdrawn", {
        "person_id": str(person),
        "purpose": "analytics",
        "withdrawn_at": at.isoformat(),
    }


async def periods_of(app: FastAPI, person: uuid.UUID) -> list[tuple[datetime, datetime | None]]:
    async with sessionmaker_of(app)() as session:
        rows = await session.execute(
            select(ConsentPeriod.granted_from, ConsentPeriod.granted_until)
            .where(ConsentPeriod.person_id == person)
            .order_by(ConsentPeriod.granted_from)
        )
        return [(f, u) for f, u in rows.tuples()]


@settings(max_examples=20, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order=st.permutations(range(4)))
async def test_consent_periods_from_events_in_any_order(app: FastAPI, order: list[int]) -> None:
    person = uuid.uuid4()
    changes = [
        (True, T0),
        (False, T0 + timedelta(days=10)),
        (True, T0 + timedelta(days=20)),
        (False, T0 + timedelta(days=30)),
    ]
    for i in order:
        await apply(app, analytics_consent, "consent", *consent_event(person, *changes[i]))
    assert await periods_of(app, person) == [
        (T0, T0 + timedelta(days=10)),
        (T0 + timedelta(days=20), T0 + timedelta(days=30)),
    ]


async def test_other_purposes_leave_no_period(app: FastAPI) -> None:
    person = uuid.uuid4()
    data = {
        "person_id": str(person),
        "purpose": "matching",
        "notice_version": 1,
        "granted_at": T0.isoformat(),
    }
    await apply(app, analytics_consent, "consent", "ConsentGranted", data)
    assert await periods_of(app, person) == []


@given(changes=st.lists(st.tuples(st.integers(0, 50), st.booleans()), max_size=12, unique_by=lambda c: c[0]))
def test_periods_never_overlap_and_follow_the_last_change(changes: list[tuple[int, bool]]) -> None:
    found = consent.periods([(T0 + timedelta(days=d), g) for d, g in changes])
    for (_, until), (start, _) in itertools.pairwise(found):
        assert until is not None
        assert until <= start
    last = max(changes, default=None)
    open_now = bool(found) and found[-1][1] is None
    # Still granted exactly when the last change that switched anything was a grant.
    if last is None:
        assert found == []
    elif last[1]:
        assert open_now
    else:
        assert not open_now
