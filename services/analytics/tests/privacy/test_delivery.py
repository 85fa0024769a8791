import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import func, select

from tandem_analytics.privacy.consumers import data_subject_requests
from tandem_kit.events import EventConsumer, EventEnvelope, processed_events
from tandem_kit.oauth_client import ServiceClient, StaticToken
from tandem_kit.testing import TestKeys, eventually, sessionmaker_of

SUBSCRIPTION = "analytics-data-subject-requests"


async def processed(app: FastAPI, event_id: uuid.UUID) -> int:
    async with sessionmaker_of(app)() as session:
        count = await session.scalar(
            select(func.count()).where(
                processed_events.c.event_id == event_id, processed_events.c.consumer == SUBSCRIPTION
            )
        )
    return int(count or 0)


async def test_replayed_request_is_applied_once(app: FastAPI, program: Any, consent: Any) -> None:
    coaching = await program.coaching(await program.coach())
    request = await consent.open(coaching.participant, "erasure")
    envelope = await consent.envelope(request["id"])
    consumer = EventConsumer(app.state.broker, sessionmaker_of(app), consent.subscription())

    # The broker delivers the same event too: whichever comes first applies it, the others do nothing.
    await consumer.apply(envelope)
    assert await consumer.apply(envelope) is False

    receipt = await consent.receipt(request["id"])
    assert (receipt["outcome"], receipt["records"]) == ("completed", 5)
    receipts = (await consent.get(request["id"]))["receipts"]
    assert sorted(r["service"] for r in receipts) == ["analytics", "consent"]
    assert await processed(app, envelope.id) == 1
    after = await program.about(coaching)
    assert (
        len({after[t][0]["participant_id"] for t in ("match_facts", "session_facts", "session_telemetry")})
        == 1
    )


async def test_request_not_listing_analytics_is_ignored(
    app: FastAPI, program: Any, consent: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    coaching = await program.coaching(await program.coach())
    before = await program.about(coaching)
    monkeypatch.setattr(consent.app.state.settings, "dsr_services", ["consent"])
    request = await consent.open(coaching.participant, "erasure")
    envelope = await consent.envelope(request["id"])
    assert envelope.data["services"] == ["consent"]

    # Analytics' consumer took the event off the broker ...
    await eventually(lambda: processed(app, envelope.id))

    # ... and did nothing with it.
    assert await program.about(coaching) == before
    answered = await consent.get(request["id"])
    assert (answered["status"], [r["service"] for r in answered["receipts"]]) == ("completed", ["consent"])


async def test_consent_unreachable_rolls_the_erasure_back(app: FastAPI, program: Any, keys: TestKeys) -> None:
    coaching = await program.coaching(await program.coach())
    before = await program.about(coaching)
    now = datetime.now(UTC)
    envelope = EventEnvelope(
        id=uuid.uuid4(),
        type="DataSubjectRequestOpened",
        source="consent",
        occurred_at=now,
        data={
            "request_id": str(uuid.uuid4()),
            "person_id": str(coaching.participant),
            "kind": "erasure",
            "due_at": (now + timedelta(days=30)).isoformat(),
            "services": ["consent", "analytics"],
        },
    )
    closed_port = ServiceClient(
        "http://127.0.0.1:9",
        StaticToken(lambda: keys.token("consent:receipt", sub="analytics", client_name="analytics")),
        timeout=0.2,
    )
    consumer = EventConsumer(
        app.state.broker,
        sessionmaker_of(app),
        data_subject_requests(closed_port, erasure_key=SecretStr("dev")),
    )

    with pytest.raises(httpx.TransportError):
        await consumer.apply(envelope)
    await closed_port.aclose()

    assert await program.about(coaching) == before
    # Not marked as processed either: the broker offers the event again later.
    assert await processed(app, envelope.id) == 0
