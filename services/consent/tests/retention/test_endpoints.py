import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from tandem_consent.models import ConsentRecord, ConsentState, DataSubjectReceipt, DataSubjectRequest, Purpose
from tandem_consent.retention import service
from tandem_consent.retention.tasks import JOB
from tandem_kit.db import Database
from tandem_kit.testing import TestKeys, sessionmaker_of

POLICIES = "/api/v1/consent/retention-policies"
RUNS = "/api/v1/consent/retention-runs"
ADMIN = ("consent:read", "consent:write", "admin")
Outbox = Callable[..., Awaitable[list[dict[str, Any]]]]


async def old_withdrawal(app: FastAPI, *, years: int) -> uuid.UUID:
    """A person who granted and withdrew `matching` `years` ago (written straight to the tables)."""
    person = uuid.uuid4()
    long_ago = datetime.now(UTC) - timedelta(days=365 * years)
    async with sessionmaker_of(app)() as session:
        purpose = (await session.scalars(select(Purpose).where(Purpose.key == "matching"))).one()
        session.add(
            ConsentState(
                person_id=person,
                purpose_id=purpose.id,
                granted=False,
                fields=[],
                granted_at=long_ago - timedelta(days=30),
                withdrawn_at=long_ago,
                sequence=2,
                updated_at=long_ago,
            )
        )
        for sequence, action, at in (
            (1, "granted", long_ago - timedelta(days=30)),
            (2, "withdrawn", long_ago),
        ):
            session.add(
                ConsentRecord(
                    person_id=person,
                    purpose_id=purpose.id,
                    sequence=sequence,
                    action=action,
                    notice_version=1,
                    fields=[],
                    method="web_form",
                    occurred_at=at,
                    recorded_at=at,
                    recorded_by="user",
                    client_id="front-end",
                    on_behalf=False,
                    evidence={},
                )
            )
        await session.commit()
    return person


async def records_of(app: FastAPI, person: uuid.UUID) -> int:
    async with sessionmaker_of(app)() as session:
        statement = select(func.count()).select_from(ConsentRecord).where(ConsentRecord.person_id == person)
        return int(await session.scalar(statement) or 0)


async def test_anonymous(client: httpx.AsyncClient) -> None:
    assert (await client.get(POLICIES)).status_code == 401


async def test_run_needs_admin(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.post(RUNS, json={}, headers=keys.headers("consent:write", "consent:read"))
    assert resp.status_code == 403
    assert resp.json()["missing_scopes"] == ["admin"]


async def test_list_seeded_policies(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.get(POLICIES, headers=keys.headers("consent:read"))
    by_category = {p["category"]: p for p in resp.json()}
    assert len(by_category) == 8
    assert (by_category["session_notes"]["service"], by_category["session_notes"]["period_days"]) == (
        "scheduling",
        365,
    )
    assert by_category["session_telemetry"]["action"] == "anonymize"


async def test_unknown_policy_not_found(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.get(f"{POLICIES}/horoscopes", headers=keys.headers("consent:read"))
    assert resp.status_code == 404


async def test_put_policy(client: httpx.AsyncClient, keys: TestKeys) -> None:
    body = {
        "service": "analytics",
        "period_days": 90,
        "action": "delete",
        "description": "Pulse survey answers.",
    }
    resp = await client.put(f"{POLICIES}/pulse_surveys", json=body, headers=keys.headers(*ADMIN))
    assert resp.status_code == 200, resp.text
    assert (resp.json()["category"], resp.json()["period_days"]) == ("pulse_surveys", 90)
    body["period_days"] = 60
    again = await client.put(f"{POLICIES}/pulse_surveys", json=body, headers=keys.headers(*ADMIN))
    assert again.json()["period_days"] == 60


async def test_consent_cannot_hold_unknown_category(client: httpx.AsyncClient, keys: TestKeys) -> None:
    body = {"service": "consent", "period_days": 90, "action": "delete", "description": "x"}
    resp = await client.put(f"{POLICIES}/pulse_surveys", json=body, headers=keys.headers(*ADMIN))
    assert resp.status_code == 422
    assert resp.json()["pointer"] == "#/service"


async def test_zero_days_names_field(client: httpx.AsyncClient, keys: TestKeys) -> None:
    body = {"service": "analytics", "period_days": 0, "action": "delete", "description": "x"}
    resp = await client.put(f"{POLICIES}/pulse_surveys", json=body, headers=keys.headers(*ADMIN))
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["pointer"] == "#/period_days"


async def test_run_purges_expired_evidence_and_keeps_the_rest(
    app: FastAPI, client: httpx.AsyncClient, keys: TestKeys, grant: Callable[..., Awaitable[httpx.Response]]
) -> None:
    expired = await old_withdrawal(app, years=7)
    recent = await old_withdrawal(app, years=5)
    current = uuid.uuid4()
    await grant(current)
    resp = await client.post(RUNS, json={}, headers=keys.headers(*ADMIN))
    assert resp.status_code == 201, resp.text
    evidence = next(r for r in resp.json()["results"] if r["category"] == "consent_evidence")
    assert evidence["purged"] >= 2
    assert evidence["requested"] is False
    assert (
        await records_of(app, expired),
        await records_of(app, recent),
        await records_of(app, current),
    ) == (0, 2, 1)


async def test_dry_run_counts_without_deleting_or_asking(
    app: FastAPI, client: httpx.AsyncClient, keys: TestKeys, outbox: Outbox
) -> None:
    expired = await old_withdrawal(app, years=7)
    resp = await client.post(RUNS, json={"dry_run": True}, headers=keys.headers(*ADMIN))
    body = resp.json()
    assert body["dry_run"] is True
    assert next(r for r in body["results"] if r["category"] == "consent_evidence")["purged"] >= 2
    assert await records_of(app, expired) == 2
    assert await outbox("RetentionPurgeRequested", run_id=body["id"]) == []


async def test_run_asks_other_services_to_purge(
    client: httpx.AsyncClient, keys: TestKeys, outbox: Outbox
) -> None:
    resp = await client.post(RUNS, json={}, headers=keys.headers(*ADMIN))
    run = resp.json()
    events = await outbox("RetentionPurgeRequested", run_id=run["id"])
    assert sorted((e["service"], e["category"]) for e in events) == [
        ("analytics", "session_telemetry"),
        ("analytics", "session_transcripts"),
        ("gateway", "audit_log"),
        ("matching", "intake_responses"),
        ("matching", "match_proposals"),
        ("scheduling", "session_notes"),
    ]
    notes = next(e for e in events if e["category"] == "session_notes")
    as_of = datetime.fromisoformat(run["as_of"])
    assert datetime.fromisoformat(notes["cutoff"]) == as_of - timedelta(days=365)
    listed = (await client.get(RUNS, headers=keys.headers(*ADMIN))).json()
    assert listed["items"][0]["id"] == run["id"]  # newest first
    assert listed["total"] >= 1
    walked = (await client.get(RUNS, params={"limit": 1, "offset": 0}, headers=keys.headers(*ADMIN))).json()
    assert (walked["items"][0]["id"], walked["limit"], walked["total"]) == (run["id"], 1, listed["total"])
    too_big = await client.get(RUNS, params={"limit": 501}, headers=keys.headers(*ADMIN))
    assert too_big.status_code == 422
    assert too_big.headers["content-type"] == "application/problem+json"
    assert "limit" in too_big.text
    one = await client.get(f"{RUNS}/{run['id']}", headers=keys.headers(*ADMIN))
    assert one.json()["results"] == run["results"]


async def test_scheduled_run_waits_for_its_interval(app: FastAPI, client: httpx.AsyncClient) -> None:
    async with sessionmaker_of(app)() as session:
        first = await service.run_if_due(session, JOB, every_seconds=0)
        second = await service.run_if_due(session, JOB, every_seconds=3600)
    assert first is not None
    assert second is None


@pytest.fixture
async def lock_holder(app: FastAPI) -> AsyncIterator[None]:
    """Another replica's purge in progress: a committed-database session holding the purge lock."""
    database: Database = app.state.database
    async with database.sessionmaker() as session, session.begin():
        assert await service.repository.try_purge_lock(session)
        yield


async def test_concurrent_run_is_conflict(
    lock_holder: None, client: httpx.AsyncClient, keys: TestKeys
) -> None:
    resp = await client.post(RUNS, json={}, headers=keys.headers(*ADMIN))
    assert resp.status_code == 409
    assert resp.json()["type"] == "https://tandem.dev/problems/purge-in-progress"


async def test_run_purges_requests_completed_long_ago(
    app: FastAPI, client: httpx.AsyncClient, keys: TestKeys
) -> None:
    old, recent = uuid.uuid4(), uuid.uuid4()
    async with sessionmaker_of(app)() as session:
        for request_id, years in ((old, 4), (recent, 2)):
            done = datetime.now(UTC) - timedelta(days=365 * years)
            session.add(
                DataSubjectRequest(
                    id=request_id,
                    person_id=uuid.uuid4(),
                    kind="erasure",
                    status="completed",
                    expected_services=["consent"],
                    requested_by="hris",
                    created_at=done,
                    due_at=done,
                    completed_at=done,
                )
            )
            await session.flush()
            session.add(
                DataSubjectReceipt(
                    request_id=request_id,
                    service="consent",
                    outcome="nothing_held",
                    records=0,
                    submitted_by="consent",
                )
            )
        await session.commit()
    resp = await client.post(RUNS, json={}, headers=keys.headers(*ADMIN))
    step = next(r for r in resp.json()["results"] if r["category"] == "data_subject_requests")
    assert step["purged"] >= 1
    async with sessionmaker_of(app)() as session:
        left = set((await session.scalars(select(DataSubjectReceipt.request_id))).all())
        assert (await session.get(DataSubjectRequest, old), recent in left, old in left) == (
            None,
            True,
            False,
        )
