"""Vendor telemetry reconciled with the ledger. Analytics' producer of `VendorSessionReported` is being
built by another helper meanwhile: these tests publish contract-conformant envelopes (docs/contracts.md)
themselves, to the consumer and to the real broker. Everything here commits (the consumer runs in its
own transaction), so every test makes its own engagement."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tandem_kit.events import EventConsumer, EventEnvelope
from tandem_kit.testing import TestKeys, asgi_client, eventually
from tandem_scheduling.attendance.consumers import vendor_session_reports
from tandem_scheduling.engagement import service as engagement_service
from tandem_scheduling.engagement.schemas import MatchApproved
from tandem_scheduling.models import Engagement, Session

API = "/api/v1/scheduling"
WRITE = ("scheduling:read", "scheduling:write")


@pytest.fixture
async def http(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(app) as c:
        yield c


async def committed(app: FastAPI, payload: Any, *, status: str = "booked") -> tuple[Engagement, Session]:
    """An engagement with a session that started an hour ago, committed."""
    starts = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    async with app.state.database.sessionmaker() as session:
        engagement = await engagement_service.create_from_match(
            session, MatchApproved.model_validate(payload())
        )
        assert engagement is not None
        row = Session(
            engagement_id=engagement.id,
            kind="regular",
            status=status,
            starts_at=starts,
            ends_at=starts + timedelta(minutes=45),
            booked_by="test",
        )
        session.add(row)
        await session.commit()
    return engagement, row


def reported(row: Session, outcome: str, *, received: datetime | None = None) -> EventEnvelope:
    received = received or datetime.now(UTC)
    return EventEnvelope(
        id=uuid.uuid4(),
        type="VendorSessionReported",
        source="analytics",
        occurred_at=received,
        data={
            "telemetry_id": str(uuid.uuid4()),
            "vendor_id": str(uuid.uuid4()),
            "session_id": str(row.id),
            "outcome": outcome,
            "occurred_at": row.starts_at.isoformat(),
            "received_at": received.isoformat(),
        },
    )


async def apply(app: FastAPI, event: EventEnvelope) -> bool:
    consumer = EventConsumer(
        app.state.broker, app.state.database.sessionmaker, vendor_session_reports(app.state.attendance_policy)
    )
    return await consumer.apply(event)


def manager(keys: TestKeys) -> dict[str, str]:
    return keys.headers(*WRITE, person_id=str(uuid.uuid4()), roles=["program_manager"])


def provider(keys: TestKeys, engagement: Engagement) -> dict[str, str]:
    return keys.headers(*WRITE, person_id=str(engagement.provider_person_id), roles=["coach"])


async def test_an_unmarked_session_takes_the_vendors_outcome_once(
    app: FastAPI, http: httpx.AsyncClient, keys: TestKeys, payload: Any
) -> None:
    _engagement, row = await committed(app, payload)
    event = reported(row, "completed")
    assert await apply(app, event) is True
    assert await apply(app, event) is False
    body = (await http.get(f"{API}/sessions/{row.id}/attendance", headers=manager(keys))).json()
    assert (body["mark"]["outcome"], body["mark"]["revision"], body["mark"]["recorded_by_role"]) == (
        "attended",
        1,
        "vendor",
    )
    assert body["mark"]["recorded_by"] == f"vendor:{event.data['vendor_id']}"
    assert body["conflict"] is None


async def test_a_disagreeing_report_is_a_visible_conflict_a_manager_confirms(
    app: FastAPI, http: httpx.AsyncClient, keys: TestKeys, payload: Any
) -> None:
    engagement, row = await committed(app, payload)
    marked = await http.put(
        f"{API}/sessions/{row.id}/attendance",
        json={"outcome": "no_show_participant"},
        headers=provider(keys, engagement),
    )
    assert marked.status_code == 200
    event = reported(row, "completed")
    assert await apply(app, event) is True

    body = (await http.get(f"{API}/sessions/{row.id}/attendance", headers=provider(keys, engagement))).json()
    assert (body["mark"]["outcome"], body["mark"]["revision"]) == ("no_show_participant", 1)
    assert body["conflict"]["vendor_outcome"] == "completed"
    assert body["conflict"]["ledger_outcome"] == "no_show_participant"
    assert datetime.fromisoformat(body["conflict"]["reported_at"]) == datetime.fromisoformat(
        event.data["received_at"]
    )
    conflicts = f"{API}/programs/{engagement.program_id}/attendance-conflicts"
    listed = (await http.get(conflicts, headers=manager(keys))).json()
    assert [(c["session_id"], c["vendor_outcome"]) for c in listed["items"]] == [(str(row.id), "completed")]

    confirmed = await http.put(
        f"{API}/sessions/{row.id}/attendance", json={"outcome": "no_show_participant"}, headers=manager(keys)
    )
    assert confirmed.json()["conflict"] is None
    assert confirmed.json()["mark"]["revision"] == 1
    assert (await http.get(conflicts, headers=manager(keys))).json()["total"] == 0
    # The same report again (a new telemetry event) does not reopen what the manager settled.
    await apply(app, reported(row, "completed"))
    assert (await http.get(conflicts, headers=manager(keys))).json()["total"] == 0


async def test_a_party_disagreeing_with_the_vendors_mark_opens_a_conflict_a_correction_closes(
    app: FastAPI, http: httpx.AsyncClient, keys: TestKeys, payload: Any
) -> None:
    engagement, row = await committed(app, payload)
    await apply(app, reported(row, "completed"))
    party = await http.put(
        f"{API}/sessions/{row.id}/attendance",
        json={"outcome": "no_show_participant"},
        headers=provider(keys, engagement),
    )
    assert party.status_code == 200, party.text
    assert (party.json()["mark"]["revision"], party.json()["mark"]["recorded_by_role"]) == (2, "provider")
    assert party.json()["conflict"]["ledger_outcome"] == "no_show_participant"
    corrected = await http.put(
        f"{API}/sessions/{row.id}/attendance",
        json={"outcome": "attended", "reason": "Checked the video platform log."},
        headers=manager(keys),
    )
    assert (corrected.json()["mark"]["revision"], corrected.json()["conflict"]) == (3, None)


async def test_a_no_show_agrees_with_either_partys_no_show(
    app: FastAPI, http: httpx.AsyncClient, keys: TestKeys, payload: Any
) -> None:
    engagement, row = await committed(app, payload)
    await http.put(
        f"{API}/sessions/{row.id}/attendance",
        json={"outcome": "no_show_provider"},
        headers=provider(keys, engagement),
    )
    await apply(app, reported(row, "no_show"))
    body = (await http.get(f"{API}/sessions/{row.id}/attendance", headers=manager(keys))).json()
    assert (body["mark"]["outcome"], body["conflict"]) == ("no_show_provider", None)


async def test_a_report_is_consumed_from_the_broker(
    app: FastAPI, http: httpx.AsyncClient, keys: TestKeys, payload: Any
) -> None:
    _engagement, row = await committed(app, payload)
    js = await app.state.broker.jetstream(timeout=5)
    event = reported(row, "no_show")
    await js.publish("tandem.analytics.VendorSessionReported", event.model_dump_json().encode())

    async def marked() -> str | None:
        body = (await http.get(f"{API}/sessions/{row.id}/attendance", headers=manager(keys))).json()
        return body["mark"]["outcome"] if body["mark"] else None

    assert await eventually(marked) == "no_show_participant"


async def test_completed_on_a_cancelled_unmarked_session_is_a_conflict_not_a_mark(
    app: FastAPI, http: httpx.AsyncClient, keys: TestKeys, payload: Any
) -> None:
    engagement, row = await committed(app, payload, status="cancelled")
    await apply(app, reported(row, "completed"))
    body = (await http.get(f"{API}/sessions/{row.id}/attendance", headers=manager(keys))).json()
    assert body["mark"] is None
    assert (body["conflict"]["vendor_outcome"], body["conflict"]["ledger_outcome"]) == ("completed", None)
    late = await http.put(
        f"{API}/sessions/{row.id}/attendance", json={"outcome": "cancelled_late"}, headers=manager(keys)
    )
    assert (late.json()["mark"]["revision"], late.json()["conflict"]) == (1, None)
    listed = await http.get(
        f"{API}/programs/{engagement.program_id}/attendance-conflicts", headers=manager(keys)
    )
    assert listed.json()["total"] == 0
