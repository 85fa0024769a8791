"""Consent's retention run asks scheduling to purge `session_notes`: the pair's free text (working
agreement, cancel reasons) of engagements that ended more than the policy's 365 days ago."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from tandem_kit.auth import Principal
from tandem_kit.events import EventConsumer, EventEnvelope, outbox_messages
from tandem_kit.testing import eventually, sessionmaker_of
from tandem_scheduling.engagement import service as engagement_service
from tandem_scheduling.engagement.schemas import MatchApproved, MatchEnded
from tandem_scheduling.lifecycle import ending
from tandem_scheduling.models import WorkingAgreement
from tandem_scheduling.privacy import retention
from tandem_scheduling.privacy.consumers import retention_purges
from tandem_scheduling.session import service as session_service
from tandem_scheduling.session.schemas import SessionCancel, SessionCreate

# The fixtures and the World helper live in this folder's conftest.py.

BASE = "/api/v1/scheduling/engagements"
RUNS = "/api/v1/consent/retention-runs"
PURGE_REQUESTED = "tandem.consent.RetentionPurgeRequested"
LONG_AGO = timedelta(days=3 * 365)
ALL_DAY = [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)]
CLAUSES = {
    "scope": "Ben's goal: present to the board without freezing.",
    "confidentiality": "What we discuss stays between us.",
    "cadence": "Weekly, 60 minutes, video.",
    "success_criteria": "Two board updates given by the week-12 review.",
    "escalation_path": "Program operations first.",
    "data_usage_consent": "Only structured indicators reach analytics.",
    "sponsor_actions": "n/a for coaching.",
    "termination": "Ends after 12 sessions.",
}
PRIVATE_REASON = "Ben's father was in hospital."
MACHINE = Principal(
    subject="pm-frontend",
    client_id="pm-frontend",
    scopes=frozenset({"scheduling:read", "scheduling:write"}),
    token_id="test-setup",
)


@dataclass
class Pair:
    """An engagement with a signed agreement, a held kickoff and a cancelled session with a reason."""

    engagement_id: str
    sessions: list[str]

    @property
    def path(self) -> str:
        return f"/{self.engagement_id}"


async def make_pair(
    world: Any,
    *,
    approved: timedelta,
    signed: timedelta | None = None,
    last_session: timedelta | None = None,
    ended: timedelta | None = None,
) -> Pair:
    """Every time is how long ago: approval, the signatures (two days after approval unless given),
    an extra held session (none unless given) and the end of the match (`MatchEnded`; none unless
    given). The coach track plans three months."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    approved_at = now - approved
    signed_at = now - signed if signed is not None else approved_at + timedelta(days=2)
    data = MatchApproved.model_validate(
        {
            "match_id": str(uuid.uuid4()),
            "program_id": str(uuid.uuid4()),
            "participant_id": str(uuid.uuid4()),
            "provider_id": str(uuid.uuid4()),
            "provider_person_id": str(uuid.uuid4()),
            "provider_kind": "coach",
            "track": "coach",
            "approved_at": approved_at.isoformat(),
            "participant_timezone": "America/New_York",
            "participant_working_hours": ALL_DAY,
            "provider_timezone": "Europe/Berlin",
            "provider_working_hours": ALL_DAY,
        }
    )
    async with sessionmaker_of(world.app)() as session:
        engagement = await engagement_service.create_from_match(session, data)
        session.add(
            WorkingAgreement(
                engagement_id=engagement.id,
                clauses=CLAUSES,
                participant_signed_at=signed_at,
                provider_signed_at=signed_at,
                updated_by=f"user-{data.participant_id}",
                created_at=approved_at,
                updated_at=approved_at,
            )
        )
        await session.flush()

        async def book(at: datetime, kind: str) -> uuid.UUID:
            # The API books only future times: a past session is booked as it was, a day before.
            create = SessionCreate(starts_at=at, kind=kind)  # type: ignore[arg-type]
            booked = await session_service.book_session(
                session, MACHINE, engagement.id, create, calendars=None, now=at - timedelta(days=1)
            )
            return booked.id

        kickoff = await book(approved_at + timedelta(days=5), "kickoff")
        cancelled = await book(approved_at + timedelta(days=12), "regular")
        await session_service.cancel_session(
            session,
            MACHINE,
            engagement.id,
            cancelled,
            SessionCancel(reason=PRIVATE_REASON),
            now=approved_at + timedelta(days=10),
        )
        sessions = [kickoff, cancelled]
        if last_session is not None:
            sessions.append(await book(now - last_session, "regular"))
        if ended is not None:
            end = MatchEnded(match_id=data.match_id, reason="completed", ended_at=now - ended)
            await ending.end_match(session, end)
        await session.commit()
    return Pair(str(engagement.id), [str(s) for s in sessions])


async def snapshot(world: Any, pair: Pair) -> dict[str, Any]:
    """What the API shows of the engagement (agreement None once deleted)."""
    agreement = await world.client.get(f"{BASE}{pair.path}/working-agreement", headers=world.machine)
    return {
        "engagement": await world.get(pair.path),
        "sessions": (await world.get(f"{pair.path}/sessions"))["items"],
        "sla_clocks": await world.get(f"{pair.path}/sla-clocks"),
        "agreement": agreement.json() if agreement.status_code == 200 else None,
    }


def without_reasons(sessions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**s, "cancel_reason": None} for s in sessions]


async def start_run(world: Any) -> str:
    """A real retention run of the consent app (`as_of` is now: the scheduling cutoff is 365 days ago)."""
    resp = await world.consent.post(
        RUNS, json={}, headers=world.keys.headers("consent:read", "consent:write", "admin")
    )
    assert resp.status_code == 201, resp.text
    run = resp.json()
    [step] = [r for r in run["results"] if r["category"] == retention.SESSION_NOTES]
    assert (step["service"], step["action"], step["requested"]) == ("scheduling", "delete", True)
    run_id: str = run["id"]
    return run_id


async def purge_event(world: Any, run_id: str, category: str) -> EventEnvelope:
    """The `RetentionPurgeRequested` the run wrote to consent's outbox for `category`."""
    async with sessionmaker_of(world.consent_app)() as session:
        payload = await session.scalar(
            select(outbox_messages.c.payload).where(
                outbox_messages.c.subject == PURGE_REQUESTED,
                outbox_messages.c.payload["data"]["run_id"].astext == run_id,
                outbox_messages.c.payload["data"]["category"].astext == category,
            )
        )
    return EventEnvelope.model_validate(payload)


def variant(envelope: EventEnvelope, **data: Any) -> EventEnvelope:
    """The same event with other data, as a new event."""
    return envelope.model_copy(update={"id": uuid.uuid4(), "data": {**envelope.data, **data}})


async def apply(world: Any, envelope: EventEnvelope) -> bool:
    """Apply the event as scheduling's retention consumer does, in the test's transaction."""
    consumer = EventConsumer(world.app.state.broker, sessionmaker_of(world.app), retention_purges())
    return await consumer.apply(envelope)


async def test_retention_run_through_the_broker_purges_notes_of_long_ended_engagements(
    committed_world: Any,
) -> None:
    world = committed_world
    ended = await make_pair(world, approved=LONG_AGO)
    running = await make_pair(world, approved=timedelta(days=20))
    before = {p.engagement_id: await snapshot(world, p) for p in (ended, running)}

    await start_run(world)

    async def agreement_gone() -> bool:
        return (await snapshot(world, ended))["agreement"] is None

    await eventually(agreement_gone)
    after = await snapshot(world, ended)
    assert after["sessions"] == without_reasons(before[ended.engagement_id]["sessions"])
    assert after["engagement"] == before[ended.engagement_id]["engagement"]
    assert after["sla_clocks"] == before[ended.engagement_id]["sla_clocks"]
    assert await snapshot(world, running) == before[running.engagement_id]


async def test_session_notes_of_engagements_ended_before_the_cutoff_are_deleted(world: Any) -> None:
    pair = await make_pair(world, approved=LONG_AGO)
    before = await snapshot(world, pair)
    assert before["agreement"]["clauses"] == CLAUSES
    envelope = await purge_event(world, await start_run(world), retention.SESSION_NOTES)

    assert await apply(world, envelope) is True

    after = await snapshot(world, pair)
    assert after["agreement"] is None
    cancelled = next(s for s in after["sessions"] if s["status"] == "cancelled")
    assert (cancelled["id"], cancelled["cancel_reason"]) == (pair.sessions[1], None)
    # The sessions themselves, the engagement and its SLA clocks are statistics and stay.
    assert after["sessions"] == without_reasons(before["sessions"])
    assert (after["engagement"], after["sla_clocks"]) == (before["engagement"], before["sla_clocks"])


@pytest.mark.parametrize(
    "ages",
    [
        pytest.param({"approved": timedelta(days=200)}, id="planned-end-110-days-ago"),
        pytest.param({"approved": timedelta(days=20)}, id="running"),
        pytest.param({"approved": LONG_AGO, "last_session": timedelta(days=30)}, id="held-a-session-lately"),
        pytest.param({"approved": LONG_AGO, "signed": timedelta(days=30)}, id="signed-lately"),
        # A mentoring that ran long past its plan: the end is when the match ended, not the plan.
        pytest.param({"approved": LONG_AGO, "ended": timedelta(days=30)}, id="match-ended-lately"),
    ],
)
async def test_engagement_that_ended_within_the_period_keeps_its_notes(
    world: Any, ages: dict[str, timedelta]
) -> None:
    pair = await make_pair(world, **ages)
    before = await snapshot(world, pair)
    envelope = await purge_event(world, await start_run(world), retention.SESSION_NOTES)

    assert await apply(world, envelope) is True

    after = await snapshot(world, pair)
    assert after == before
    assert after["agreement"]["clauses"] == CLAUSES


async def test_a_match_that_ended_before_the_cutoff_is_purged_though_its_plan_ran_later(
    world: Any,
) -> None:
    """Approved 400 days ago and withdrawn ten days later: the three-month plan would put the end at
    about 310 days ago, inside the period; the recorded end is 390 days ago, before the cutoff."""
    pair = await make_pair(world, approved=timedelta(days=400), ended=timedelta(days=390))
    before = await snapshot(world, pair)
    assert before["engagement"]["status"] == "ended"
    envelope = await purge_event(world, await start_run(world), retention.SESSION_NOTES)

    assert await apply(world, envelope) is True

    after = await snapshot(world, pair)
    assert after["agreement"] is None
    assert after["sessions"] == without_reasons(before["sessions"])
    assert (after["engagement"], after["sla_clocks"]) == (before["engagement"], before["sla_clocks"])


async def test_anonymize_removes_the_text_and_keeps_what_statistics_count(world: Any) -> None:
    pair = await make_pair(world, approved=LONG_AGO)
    before = await snapshot(world, pair)
    envelope = await purge_event(world, await start_run(world), retention.SESSION_NOTES)

    assert await apply(world, variant(envelope, action="anonymize")) is True

    after = await snapshot(world, pair)
    agreement = after["agreement"]
    assert agreement["clauses"] == dict.fromkeys(CLAUSES, retention.REDACTED)
    assert agreement["updated_by"] == retention.REDACTED_BY
    # Version, signatures and times stay: whether and when pairs signed is still counted.
    kept = ("version", "participant_signed_at", "provider_signed_at", "signed", "updated_at")
    assert {k: agreement[k] for k in kept} == {k: before["agreement"][k] for k in kept}
    assert agreement["signed"] is True
    assert after["sessions"] == without_reasons(before["sessions"])
    assert (after["engagement"], after["sla_clocks"]) == (before["engagement"], before["sla_clocks"])


async def test_a_second_purge_touches_nothing(world: Any) -> None:
    """Counted directly, on an engagement older than anything else in the database: one agreement and
    one cancel reason the first time, nothing the second, for either action."""
    await make_pair(world, approved=timedelta(days=40 * 365))
    cutoff = datetime.now(UTC) - timedelta(days=39 * 365)
    async with sessionmaker_of(world.app)() as session:
        anonymized = await retention.purge_session_notes(session, cutoff, "anonymize")
        again = await retention.purge_session_notes(session, cutoff, "anonymize")
        deleted = await retention.purge_session_notes(session, cutoff, "delete")
        nothing = await retention.purge_session_notes(session, cutoff, "delete")
        await session.commit()

    assert (anonymized, again, deleted, nothing) == (2, 0, 1, 0)


async def test_same_purge_event_twice_is_applied_once(world: Any) -> None:
    pair = await make_pair(world, approved=LONG_AGO)
    envelope = await purge_event(world, await start_run(world), retention.SESSION_NOTES)

    assert await apply(world, envelope) is True
    assert await apply(world, envelope) is False

    assert (await snapshot(world, pair))["agreement"] is None


@pytest.mark.parametrize(
    ("category", "data"),
    [
        pytest.param("session_transcripts", {}, id="analytics-30-days"),
        pytest.param("intake_responses", {}, id="matching-730-days"),
        pytest.param("session_transcripts", {"category": "session_notes"}, id="notes-for-analytics"),
        pytest.param(retention.SESSION_NOTES, {"category": "session_recordings"}, id="unknown-category"),
        pytest.param(retention.SESSION_NOTES, {"action": "shred"}, id="unknown-action"),
    ],
)
async def test_purges_not_for_scheduling_session_notes_change_nothing(
    world: Any, category: str, data: dict[str, str]
) -> None:
    pair = await make_pair(world, approved=LONG_AGO)
    before = await snapshot(world, pair)
    envelope = await purge_event(world, await start_run(world), category)

    assert await apply(world, variant(envelope, **data)) is True

    assert await snapshot(world, pair) == before
