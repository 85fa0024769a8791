"""Provider outcomes recomputed from hand-written telemetry rows and compared exactly."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI

from tandem_analytics.events import ProviderOutcomesUpdated
from tandem_analytics.fact.sharing import set_consent
from tandem_analytics.models import AnalyticsConsent, ProviderFact, Vendor
from tandem_analytics.outcome.service import send_changed
from tandem_analytics.telemetry.repository import insert_new
from tandem_kit.events import outbox_messages
from tandem_kit.testing import sessionmaker_of

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def message(
    provider: uuid.UUID,
    participant: uuid.UUID,
    session: str,
    kind: str,
    rating: int | None,
    at: datetime,
) -> dict[str, Any]:
    """A vendor message as the ingest statement takes it (telemetry and the latest outcome)."""
    return {
        "webhook_id": f"m-{uuid.uuid4().hex}",
        "type": kind,
        "occurred_at": at,
        "vendor_session_id": session,
        "session_id": None,
        "engagement_id": None,
        "match_id": None,
        "participant_id": participant,
        "provider_id": provider,
        "started_at": at,
        "duration_minutes": 50,
        "rating": rating,
    }


async def test_outcomes_count_latest_outcome_of_consenting_participants_with_k_on_ratings(
    app: FastAPI,
) -> None:
    provider, program = uuid.uuid4(), uuid.uuid4()
    people = [uuid.uuid4() for _ in range(6)]
    unconsented = uuid.uuid4()
    async with sessionmaker_of(app)() as session, session.begin():
        vendor = Vendor(name=f"v-{uuid.uuid4().hex[:8]}", secret_encrypted=b"x")
        session.add(vendor)
        session.add(
            ProviderFact(
                provider_id=provider,
                person_id=uuid.uuid4(),
                program_id=program,
                kind="coach",
                capacity=5,
                registered_at=T0,
            )
        )
        session.add_all(AnalyticsConsent(person_id=p, granted=True, changed_at=T0) for p in people)
        await session.flush()
        for person in people:
            await set_consent(session, person, granted=True, at=T0)
        await insert_new(
            session,
            vendor.id,
            [
                message(provider, people[0], "s1", "session.scheduled", None, T0),
                message(provider, people[0], "s1", "session.completed", 5, T0 + timedelta(hours=1)),
                message(provider, people[1], "s2", "session.completed", 4, T0),
                message(provider, people[2], "s3", "session.completed", 2, T0),
                message(provider, people[3], "s4", "session.no_show", None, T0),
                message(provider, unconsented, "s5", "session.completed", 1, T0),
            ],
        )

    async with sessionmaker_of(app)() as session, session.begin():
        await send_changed(session, T0 + timedelta(days=1))
    async with sessionmaker_of(app)() as session, session.begin():
        await insert_new(
            session,
            vendor.id,
            [
                message(provider, people[4], "s6", "session.completed", 3, T0),
                message(provider, people[5], "s7", "session.completed", 3, T0),
            ],
        )
    async with sessionmaker_of(app)() as session, session.begin():
        await send_changed(session, T0 + timedelta(days=2))
        await send_changed(session, T0 + timedelta(days=3))  # nothing changed: nothing sent

    async with sessionmaker_of(app)() as session:
        rows = await session.scalars(
            outbox_messages.select()
            .with_only_columns(outbox_messages.c.payload)
            .where(outbox_messages.c.subject == "tandem.analytics.ProviderOutcomesUpdated")
            .where(outbox_messages.c.payload["data"]["provider_id"].astext == str(provider))
            .order_by(outbox_messages.c.seq)
        )
        sent = [ProviderOutcomesUpdated.model_validate(p["data"]) for p in rows]
    assert [
        (o.sessions_completed, o.sessions_no_show, o.completion_rate, o.rating_count, o.rating_median)
        for o in sent
    ] == [
        (3, 1, 0.75, 3, None),  # three ratings: below k, no median
        (5, 1, 5 / 6, 5, 3.0),  # ratings 5, 4, 2, 3, 3
    ]
    assert {o.program_id for o in sent} == {program}
