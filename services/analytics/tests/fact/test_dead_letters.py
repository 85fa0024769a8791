"""A malformed event from the broker is parked, not retried: operations list, count, replay and
discard it through the kit's dead-letter endpoints (mounted in every service with consumers)."""

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from tandem_analytics.fact.consumers import matching_facts
from tandem_analytics.models import MatchFact
from tandem_kit.events import EXHAUSTED, EventConsumer, EventEnvelope, Failure, letter_values, park
from tandem_kit.testing import TestKeys, eventually, sessionmaker_of

URL = "/api/v1/analytics/admin/dead-letters"
CONSUMER = "analytics-matching-facts"


def match_approved(**over: Any) -> dict[str, Any]:
    return {
        "match_id": str(uuid.uuid4()),
        "program_id": str(uuid.uuid4()),
        "participant_id": str(uuid.uuid4()),
        "provider_id": str(uuid.uuid4()),
        "provider_kind": "coach",
        "track": "coach",
        "approved_at": datetime(2026, 11, 23, 9, tzinfo=UTC).isoformat(),
        **over,
    }


def envelope(data: dict[str, Any]) -> EventEnvelope:
    return EventEnvelope(
        id=uuid.uuid4(), type="MatchApproved", source="matching", occurred_at=datetime.now(UTC), data=data
    )


async def parked_event(
    client: httpx.AsyncClient, keys: TestKeys, event_id: uuid.UUID
) -> dict[str, Any] | None:
    resp = await client.get(URL, params={"consumer": CONSUMER, "limit": 500}, headers=keys.headers("admin"))
    assert resp.status_code == 200, resp.text
    return next((i for i in resp.json()["items"] if i["event_id"] == str(event_id)), None)


async def test_anonymous(client: httpx.AsyncClient) -> None:
    resp = await client.get(URL)
    assert resp.status_code == 401


async def test_missing_scope(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.get(URL, headers=keys.headers("analytics:read"))
    assert resp.status_code == 403
    assert resp.json()["missing_scopes"] == ["admin"]


async def test_malformed_event_is_parked_listed_counted_and_discarded(
    app: FastAPI, client: httpx.AsyncClient, keys: TestKeys
) -> None:
    # An event analytics cannot read was retried twenty times over a quarter of an hour; now it is
    # parked on its first delivery.
    event = envelope(match_approved(provider_kind="astrologer"))
    js = await app.state.broker.jetstream(timeout=5)
    await js.publish("tandem.matching.MatchApproved", event.model_dump_json().encode())
    item = await eventually(lambda: parked_event(client, keys, event.id))
    assert (item["reason"], item["attempts"], item["event_type"], item["next_attempt_at"]) == (
        "invalid",
        1,
        "MatchApproved",
        None,
    )
    assert item["error_summary"] == "MatchApproved: provider_kind: literal_error"

    detail = await client.get(f"{URL}/{item['id']}", headers=keys.headers("admin"))
    assert detail.json()["payload"]["data"]["provider_kind"] == "astrologer"

    await app.state.dead_letters.refresh()
    metrics = (await client.get("/metrics")).text
    assert f'tandem_dead_letters{{consumer="{CONSUMER}",reason="invalid"}}' in metrics
    assert f'tandem_dead_letters_parked_total{{consumer="{CONSUMER}",reason="invalid"}}' in metrics

    still = await client.post(f"{URL}/{item['id']}/replay", headers=keys.headers("admin"))
    assert still.status_code == 409
    assert still.headers["content-type"] == "application/problem+json"
    assert (still.json()["type"], still.json()["error_type"], still.json()["attempts"]) == (
        "https://tandem.dev/problems/dead-letter-replay-failed",
        "InvalidEvent",
        2,
    )

    gone = await client.delete(f"{URL}/{item['id']}", headers=keys.headers("admin"))
    assert gone.status_code == 204
    assert (await client.get(f"{URL}/{item['id']}", headers=keys.headers("admin"))).status_code == 404


async def test_replay_applies_a_parked_event_once(
    app: FastAPI, client: httpx.AsyncClient, keys: TestKeys
) -> None:
    data = match_approved()
    event = envelope(data)
    consumer = EventConsumer(app.state.broker, sessionmaker_of(app), matching_facts)
    values = letter_values(CONSUMER, "tandem.matching.MatchApproved", b"", event, None)
    async with sessionmaker_of(app)() as session, session.begin():
        await park(
            session, values, Failure.of(TimeoutError(), reason=EXHAUSTED), attempts=20, policy=consumer.policy
        )
    item = await parked_event(client, keys, event.id)
    assert item is not None

    first = await client.post(f"{URL}/{item['id']}/replay", headers=keys.headers("admin"))
    assert first.status_code == 200, first.text
    assert first.json() == {"id": item["id"], "event_id": str(event.id), "outcome": "applied"}
    again = await client.post(f"{URL}/{item['id']}/replay", headers=keys.headers("admin"))
    assert again.status_code == 404
    async with sessionmaker_of(app)() as session:
        facts = await session.scalar(
            select(func.count())
            .select_from(MatchFact)
            .where(MatchFact.match_id == uuid.UUID(data["match_id"]))
        )
    assert facts == 1
