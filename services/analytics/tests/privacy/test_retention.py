"""Consent's retention runs: analytics anonymizes expired session telemetry and has no transcripts."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from tandem_analytics.models import SessionTelemetry
from tandem_kit.events import EventConsumer, EventEnvelope, processed_events
from tandem_kit.testing import eventually, sessionmaker_of

RETENTION = "analytics-retention-purges"
FACTS = ("provider_facts", "match_facts", "engagement_facts", "session_facts", "sla_facts")
# What anonymizing changes in a telemetry row; everything else the KPIs count stays.
PERSONAL = ("participant_id", "provider_id", "rating")


def days_ago(days: float) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)


def purge_event(
    category: str, *, cutoff: datetime, action: str = "anonymize", service: str = "analytics"
) -> EventEnvelope:
    """A `RetentionPurgeRequested` as consent's retention run emits it."""
    return EventEnvelope(
        id=uuid.uuid4(),
        type="RetentionPurgeRequested",
        source="consent",
        occurred_at=datetime.now(UTC),
        data={
            "run_id": str(uuid.uuid4()),
            "category": category,
            "service": service,
            "action": action,
            "cutoff": cutoff.isoformat(),
        },
    )


async def purge(app: FastAPI, envelope: EventEnvelope) -> bool:
    """Apply the event with analytics' own retention consumer (same name, so one dedup marker)."""
    sub = next(c.sub for c in app.state.consumers if c.sub.name == RETENTION)
    applied: bool = await EventConsumer(app.state.broker, sessionmaker_of(app), sub).apply(envelope)
    return applied


async def processed(app: FastAPI, event_id: uuid.UUID) -> int:
    async with sessionmaker_of(app)() as session:
        count = await session.scalar(
            select(func.count()).where(
                processed_events.c.event_id == event_id, processed_events.c.consumer == RETENTION
            )
        )
    return int(count or 0)


async def coaching_at(
    program: Any, coach: Any, approved: datetime, *, reported_at: datetime | None = None, **kw: Any
) -> Any:
    """A coaching approved at `approved`; the vendor reports its kickoff an hour after it started."""
    program.approved = approved
    starts = approved + timedelta(days=10 if kw.get("late") else 2)
    return await program.coaching(coach, reported_at=reported_at or starts + timedelta(hours=1), **kw)


def without(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> list[dict[str, Any]]:
    return [{k: v for k, v in row.items() if k not in columns} for row in rows]


def assert_anonymized(
    before: dict[str, list[dict[str, Any]]], after: dict[str, list[dict[str, Any]]]
) -> None:
    """Telemetry renamed (aliases are version-8 UUIDs) without ratings, otherwise as it was; facts kept."""
    telemetry = after["session_telemetry"]
    assert telemetry
    assert {(r["participant_id"].version, r["provider_id"].version, r["rating"]) for r in telemetry} == {
        (8, 8, None)
    }
    assert {r["participant_id"] for r in telemetry}.isdisjoint(
        r["participant_id"] for r in before["session_telemetry"]
    )
    assert without(telemetry, PERSONAL) == without(before["session_telemetry"], PERSONAL)
    assert {t: after[t] for t in FACTS} == {t: before[t] for t in FACTS}
    # The kept latest outcome is renamed exactly as the telemetry row it copies.
    by_id = {r["id"]: r for r in telemetry}
    [outcome] = after["vendor_session_outcomes"]
    assert [{k: outcome[k] for k in PERSONAL}] == [{k: by_id[outcome["telemetry_id"]][k] for k in PERSONAL}]
    assert without(after["vendor_session_outcomes"], PERSONAL) == without(
        before["vendor_session_outcomes"], PERSONAL
    )


async def settled(app: FastAPI, consent: Any) -> None:
    """Wait until analytics has applied every retention run started so far (in this worker's shared
    consent database, other services' tests start runs too): the consumer applies them in stream order,
    so once a new run's events are processed, no earlier one can purge this test's data later."""
    run = await consent.run_retention()
    for envelope in (await consent.purge_envelopes(run["id"])).values():
        await eventually(lambda e=envelope: processed(app, e.id))


async def test_retention_run_anonymizes_expired_telemetry_through_the_broker(
    app: FastAPI, program: Any, consent: Any
) -> None:
    await settled(app, consent)
    coach = await program.coach()
    expired = await coaching_at(program, coach, days_ago(1000))
    still_reporting = await coaching_at(program, coach, days_ago(1000))
    # The vendor corrects that session's outcome today: its telemetry's clock starts again.
    await program.report(still_reporting, "session.no_show", started_at=days_ago(998))
    recent = await coaching_at(program, coach, days_ago(20))
    before = {c: await program.about(c) for c in (expired, still_reporting, recent)}

    run = await consent.run_retention()
    envelopes = await consent.purge_envelopes(run["id"])
    for category in ("session_telemetry", "session_transcripts", "intake_responses", "session_notes"):
        await eventually(lambda e=envelopes[category]: processed(app, e.id))

    step = next(r for r in run["results"] if r["category"] == "session_telemetry")
    assert (step["service"], step["action"], step["requested"]) == ("analytics", "anonymize", True)
    assert_anonymized(before[expired], await program.about(expired))
    assert await program.about(still_reporting) == before[still_reporting]
    assert await program.about(recent) == before[recent]
    # The old session's telemetry is nobody's any more: access finds only the facts.
    access = await consent.open(expired.participant, "access")
    receipt = await consent.receipt(access["id"])
    assert (receipt["records"], receipt["detail"]) == (
        3,
        "Exported 3 row(s): 1 matches, 1 engagements, 1 sessions.",
    )


async def test_anonymized_telemetry_leaves_the_kpis(app: FastAPI, program: Any) -> None:
    program.consenting = True
    coaches = [await program.coach(), await program.coach()]
    for i in range(6):
        outcome = "session.no_show" if i == 4 else "session.completed"
        await coaching_at(program, coaches[i // 3], days_ago(1000), late=i == 5, outcome=outcome)
    names = ("coach_to_coachee_ratio", "coach_utilization", "session_completion_rate", "attendance_rate",
             "time_to_first_session")  # fmt: skip
    before = await program.kpis()
    assert {name: (before[name]["status"], before[name]["value"]) for name in names} == {
        "coach_to_coachee_ratio": ("green", 3.0),
        "coach_utilization": ("red", 0.6),
        "session_completion_rate": ("green", 0.8333),
        "attendance_rate": ("green", 0.8333),
        "time_to_first_session": ("green", 3.3333),
    }

    assert await purge(app, purge_event("session_telemetry", cutoff=days_ago(730)))

    telemetry = await program.rows(
        SessionTelemetry, SessionTelemetry.vendor_id == uuid.UUID(program.vendor_id)
    )
    assert len({r["participant_id"] for r in telemetry}) == 6
    assert {(r["participant_id"].version, r["rating"]) for r in telemetry} == {(8, None)}
    # Telemetry past its retention belongs to nobody, so nobody's consent covers it: it leaves the
    # vendor-only KPIs. Attendance still reads the vendor outcome of each booked session by its id.
    after = await program.kpis()
    assert {name: (after[name]["status"], after[name]["value"]) for name in names} == {
        **{name: (before[name]["status"], before[name]["value"]) for name in names},
        "session_completion_rate": ("insufficient_data", None),
    }


async def test_only_sessions_last_heard_of_before_the_cutoff_go(app: FastAPI, program: Any) -> None:
    cutoff = days_ago(730)
    coach = await program.coach()
    gone = await coaching_at(program, coach, days_ago(800), reported_at=cutoff - timedelta(minutes=1))
    kept = await coaching_at(program, coach, days_ago(800), reported_at=cutoff + timedelta(minutes=1))
    before_gone, before_kept = await program.about(gone), await program.about(kept)

    assert await purge(app, purge_event("session_telemetry", cutoff=cutoff))

    assert_anonymized(before_gone, await program.about(gone))
    assert await program.about(kept) == before_kept


async def test_delete_action_deletes_expired_telemetry(app: FastAPI, program: Any) -> None:
    coach = await program.coach()
    expired = await coaching_at(program, coach, days_ago(1000))
    recent = await coaching_at(program, coach, days_ago(20))
    before_expired, before_recent = await program.about(expired), await program.about(recent)

    assert await purge(app, purge_event("session_telemetry", cutoff=days_ago(730), action="delete"))

    after = await program.about(expired)
    assert (after["session_telemetry"], after["vendor_session_outcomes"]) == ([], [])
    assert {t: after[t] for t in FACTS} == {t: before_expired[t] for t in FACTS}
    assert await program.about(recent) == before_recent


async def test_rows_already_de_identified_are_passed_over(app: FastAPI, program: Any, consent: Any) -> None:
    coach = await program.coach()
    erased = await coaching_at(program, coach, days_ago(1000))
    request = await consent.open(erased.participant, "erasure")
    assert (await consent.receipt(request["id"]))["outcome"] == "completed"
    [alias] = {r["participant_id"] for r in (await program.about(erased))["match_facts"]}

    assert await purge(app, purge_event("session_telemetry", cutoff=days_ago(730)))
    first = await program.about(erased)
    # The erasure's alias stays (renaming it would make one person two); the coach is renamed now.
    [row] = first["session_telemetry"]
    assert (row["participant_id"], row["provider_id"].version, row["rating"]) == (alias, 8, None)
    [outcome] = first["vendor_session_outcomes"]
    assert (outcome["participant_id"], outcome["provider_id"], outcome["rating"]) == (
        alias,
        row["provider_id"],
        None,
    )

    assert await purge(app, purge_event("session_telemetry", cutoff=days_ago(730)))
    assert await program.about(erased) == first


async def test_transcripts_have_nothing_to_purge(app: FastAPI, program: Any) -> None:
    coaching = await coaching_at(program, await program.coach(), days_ago(1000))
    before = await program.about(coaching)

    # Even a cutoff that makes everything expired touches nothing: no transcript is ever stored.
    event = purge_event("session_transcripts", cutoff=days_ago(-1), action="delete")
    assert await purge(app, event)

    assert await program.about(coaching) == before


@pytest.mark.parametrize(
    ("service", "category", "action"),
    [
        ("matching", "intake_responses", "delete"),
        ("scheduling", "session_notes", "delete"),
        # Our category's name, but another service holds it.
        ("matching", "session_telemetry", "anonymize"),
        ("analytics", "session_recordings", "delete"),
        ("analytics", "session_telemetry", "archive"),
    ],
    ids=["other-service", "scheduling", "other-holder", "unknown-category", "unknown-action"],
)
async def test_purges_that_are_not_analytics_are_ignored(
    app: FastAPI, program: Any, service: str, category: str, action: str
) -> None:
    coaching = await coaching_at(program, await program.coach(), days_ago(1000))
    before = await program.about(coaching)
    event = purge_event(category, cutoff=days_ago(-1), action=action, service=service)

    # Consumed (marked processed, not retried) and nothing changed.
    assert await purge(app, event)

    assert await processed(app, event.id) == 1
    assert await program.about(coaching) == before
