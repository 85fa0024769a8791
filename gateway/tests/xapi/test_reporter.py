"""Statements out over real HTTP: scheduling's and matching's milestones reach the fake LRS once, for
consenting people only, across a lost answer (broker redelivery), a 429 and a duplicate event."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from tandem_gateway.xapi.domain import ASSIGNED, outbound_statement_id
from tandem_kit.events import EventEnvelope, dead_letters
from tandem_kit.testing import eventually, sessionmaker_of

from .conftest import XapiStack


@pytest.fixture
async def connected(http: httpx.AsyncClient, xapi_stack: XapiStack) -> XapiStack:
    resp = await http.post(
        "/api/v1/admin/xapi/lrs-connections",
        json={
            "endpoint": f"{xapi_stack.lrs_url}/xapi",
            "auth": "basic",
            "username": xapi_stack.lrs.username,
            "secret": xapi_stack.lrs.password,
        },
        headers=xapi_stack.headers("admin"),
    )
    assert resp.status_code in (201, 409), resp.text
    if resp.status_code == 201:
        assert "secret" not in resp.json()
    return xapi_stack


async def publish(
    stack: XapiStack, source: str, event_type: str, data: dict[str, Any], event_id: uuid.UUID
) -> None:
    envelope = EventEnvelope(
        id=event_id, type=event_type, source=source, occurred_at=datetime.now(UTC), data=data
    )
    js = await stack.app.state.broker.jetstream()
    await js.publish(f"tandem.{source}.{event_type}", json.dumps(envelope.model_dump(mode="json")).encode())


def requests_for(stack: XapiStack, statement_id: uuid.UUID) -> list[int]:
    return [status for _, sid, status in stack.lrs.requests if sid == str(statement_id)]


async def test_agreement_signed_reaches_the_lrs_once(http: httpx.AsyncClient, connected: XapiStack) -> None:
    email = f"p-{uuid.uuid4().hex[:8]}@example.com"
    participant = await connected.person(email=email)
    provider = await connected.person(email=f"q-{uuid.uuid4().hex[:8]}@example.com")
    await connected.grant(http, participant)
    event_id, match_id = uuid.uuid4(), uuid.uuid4()
    data = {
        "agreement_id": str(uuid.uuid4()),
        "engagement_id": str(uuid.uuid4()),
        "match_id": str(match_id),
        "participant_id": str(participant),
        "provider_person_id": str(provider),
        "version": 1,
        "signed_at": "2026-12-07T09:00:00Z",
    }
    # The first answer is lost after the LRS stored the statement (the event comes again), then a 429.
    connected.lrs.fail_next(500, store=True)
    connected.lrs.fail_next(429, retry_after=0.1)
    await publish(connected, "scheduling", "WorkingAgreementSigned", data, event_id)
    await publish(connected, "scheduling", "WorkingAgreementSigned", data, event_id)  # a duplicate delivery
    expected = outbound_statement_id(event_id, participant)
    await eventually(lambda: 204 in requests_for(connected, expected), timeout=20)
    assert requests_for(connected, expected) == [500, 429, 204]
    stored = connected.lrs.statements[str(expected)]
    assert stored["actor"] == {"objectType": "Agent", "mbox": f"mailto:{email}"}
    assert stored["verb"]["id"] == "https://w3id.org/xapi/dod-isd/verbs/signed"
    assert stored["context"]["registration"] == str(match_id)
    assert str(outbound_statement_id(event_id, provider)) not in connected.lrs.statements  # no consent


async def test_kickoff_and_track_completed(http: httpx.AsyncClient, connected: XapiStack) -> None:
    participant = await connected.person(email=f"t-{uuid.uuid4().hex[:8]}@example.com")
    await connected.grant(http, participant)
    match_id, program_id = uuid.uuid4(), uuid.uuid4()
    kickoff, withdrawn, completed = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await publish(
        connected,
        "scheduling",
        "SessionAttended",
        {
            "session_id": str(uuid.uuid4()),
            "engagement_id": str(uuid.uuid4()),
            "match_id": str(match_id),
            "participant_id": str(participant),
            "provider_person_id": str(uuid.uuid4()),
            "kind": "kickoff",
            "attended_at": "2026-12-07T10:00:00Z",
        },
        kickoff,
    )
    ended = {
        "match_id": str(match_id),
        "program_id": str(program_id),
        "participant_id": str(participant),
        "provider_id": str(uuid.uuid4()),
        "provider_kind": "coach",
        "ended_at": "2026-12-08T10:00:00Z",
        "ended_by": "pm",
    }
    await publish(connected, "matching", "MatchEnded", {**ended, "reason": "withdrawn"}, withdrawn)
    await publish(connected, "matching", "MatchEnded", {**ended, "reason": "completed"}, completed)
    track = str(outbound_statement_id(completed, participant))
    await eventually(lambda: track in connected.lrs.statements, timeout=20)
    held = connected.lrs.statements[str(outbound_statement_id(kickoff, participant))]
    assert held["object"]["definition"]["name"] == {"en-US": "kickoff held"}
    assert connected.lrs.statements[track]["object"]["definition"]["name"] == {"en-US": "track completed"}
    assert str(outbound_statement_id(withdrawn, participant)) not in connected.lrs.statements


async def test_refused_until_the_last_try_is_a_dead_letter(
    http: httpx.AsyncClient, connected: XapiStack
) -> None:
    participant = await connected.person(email=f"d-{uuid.uuid4().hex[:8]}@example.com")
    await connected.grant(http, participant)
    event_id = uuid.uuid4()
    for _ in range(4):  # event_park_after_deliveries in the stack's settings
        connected.lrs.fail_next(400)
    data = {
        "match_id": str(uuid.uuid4()),
        "program_id": str(uuid.uuid4()),
        "participant_id": str(participant),
        "provider_id": str(uuid.uuid4()),
        "provider_kind": "mentor",
        "reason": "completed",
        "ended_at": "2026-12-08T10:00:00Z",
        "ended_by": "pm",
    }
    await publish(connected, "matching", "MatchEnded", data, event_id)

    async def parked() -> Any:
        async with sessionmaker_of(connected.app)() as session:
            return await session.scalar(
                select(dead_letters.c.consumer).where(dead_letters.c.event_id == event_id)
            )

    assert await eventually(parked, timeout=20) == "gateway-lrs-track"
    assert requests_for(connected, outbound_statement_id(event_id, participant)) == [400, 400, 400, 400]


async def test_microlearning_assignment(http: httpx.AsyncClient, connected: XapiStack) -> None:
    consenting = await connected.person(email=f"a-{uuid.uuid4().hex[:8]}@example.com")
    silent = await connected.person(email=f"b-{uuid.uuid4().hex[:8]}@example.com")
    await connected.grant(http, consenting)
    assignment = uuid.uuid4()
    body = {
        "person_ids": [str(consenting), str(silent)],
        "activity_id": "https://lms.example.com/modules/feedback-basics",
        "name": "Feedback basics",
        "assignment_id": str(assignment),
    }
    participant = connected.headers("matching:decide", person_id=str(uuid.uuid4()), roles=["participant"])
    assert (
        await http.post("/api/v1/xapi/microlearning-assignments", json=body, headers=participant)
    ).status_code == 403
    manager = connected.headers("matching:decide", person_id=str(uuid.uuid4()), roles=["program_manager"])
    first = await http.post("/api/v1/xapi/microlearning-assignments", json=body, headers=manager)
    again = await http.post("/api/v1/xapi/microlearning-assignments", json=body, headers=manager)
    expected = outbound_statement_id(assignment, consenting)
    assert first.json() == {"sent": [str(expected)], "skipped": [str(silent)]}
    assert again.json() == first.json()
    assert connected.lrs.statements[str(expected)]["verb"]["id"] == ASSIGNED
    assert requests_for(connected, expected) == [204, 204]


async def test_oauth_lrs_token_refetched_after_401(http: httpx.AsyncClient, connected: XapiStack) -> None:
    admin = connected.headers("admin")
    created = await http.post(
        "/api/v1/admin/xapi/lrs-connections",
        json={
            "organisation": "oauth-org",
            "endpoint": f"{connected.lrs_url}/xapi",
            "auth": "oauth",
            "username": connected.lrs.username,
            "secret": connected.lrs.password,
            "token_url": f"{connected.lrs_url}/oauth/token",
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text
    try:
        person = await connected.person(email=f"o-{uuid.uuid4().hex[:8]}@example.com")
        await connected.grant(http, person)
        manager = connected.headers("matching:decide")  # a machine client
        first, second = uuid.uuid4(), uuid.uuid4()
        body = {"person_ids": [str(person)], "activity_id": "https://lms.example.com/m/1", "name": "M1"}
        sent = await http.post(
            "/api/v1/xapi/microlearning-assignments",
            json={**body, "assignment_id": str(first)},
            headers=manager,
        )
        assert sent.status_code == 200, sent.text
        connected.lrs.expire_tokens()
        await http.post(
            "/api/v1/xapi/microlearning-assignments",
            json={**body, "assignment_id": str(second)},
            headers=manager,
        )
        # "default" (Basic) first, then "oauth-org": its expired token is refused once, then refetched.
        assert requests_for(connected, outbound_statement_id(first, person)) == [204, 204]
        assert requests_for(connected, outbound_statement_id(second, person)) == [204, 401, 204]
    finally:
        deleted = await http.delete("/api/v1/admin/xapi/lrs-connections/oauth-org", headers=admin)
        assert deleted.status_code == 204
