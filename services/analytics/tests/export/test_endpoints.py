"""The warehouse export: Parquet of the rows changed since a watermark, consent and erasure respected."""

import io
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pyarrow.parquet as pq
import pytest
from fastapi import FastAPI
from sqlalchemy import delete, select

from tandem_analytics.fact.consumers import analytics_consent
from tandem_analytics.models import MatchFact
from tandem_analytics.privacy.service import erase_person
from tandem_kit.events import EventConsumer, EventEnvelope
from tandem_kit.testing import TestKeys, asgi_client, eventually, sessionmaker_of

URL = "/api/v1/analytics/export"
T0 = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
async def http(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(app) as client:
        yield client


async def consent(app: FastAPI, person: uuid.UUID, kind: str, at: datetime) -> None:
    field = "granted_at" if kind == "ConsentGranted" else "withdrawn_at"
    data = {"person_id": str(person), "purpose": "analytics", "notice_version": 1, field: at.isoformat()}
    event = EventEnvelope(id=uuid.uuid4(), type=kind, source="consent", occurred_at=at, data=data)
    assert await EventConsumer(app.state.broker, sessionmaker_of(app), analytics_consent).apply(event)


async def match(app: FastAPI, participant: uuid.UUID) -> str:
    """A committed match fact; returns its export key."""
    match_id = uuid.uuid4()
    async with sessionmaker_of(app)() as session, session.begin():
        session.add(
            MatchFact(
                match_id=match_id,
                program_id=uuid.uuid4(),
                participant_id=participant,
                provider_id=uuid.uuid4(),
                provider_kind="coach",
                track="coach",
                approved_at=T0,
            )
        )
    return await key_of(app, match_id)


async def key_of(app: FastAPI, match_id: uuid.UUID) -> str:
    from sqlalchemy import text

    async with sessionmaker_of(app)() as session:
        key = await session.scalar(
            text("SELECT export_key::text FROM match_facts WHERE match_id = :m"), {"m": match_id}
        )
    assert key is not None
    return str(key)


async def export(
    http: httpx.AsyncClient, keys: TestKeys, since: str = "0"
) -> tuple[dict[str, dict[str, Any]], str]:
    resp = await http.get(
        f"{URL}/match_facts", params={"since": since}, headers=keys.headers("analytics:export")
    )
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"] == "application/vnd.apache.parquet"
    rows = pq.read_table(io.BytesIO(resp.content)).to_pylist()
    assert int(resp.headers["x-export-rows"]) == len(rows)
    return {r["export_key"]: r for r in rows}, resp.headers["x-export-watermark"]


async def test_anonymous(http: httpx.AsyncClient) -> None:
    assert (await http.get(f"{URL}/match_facts")).status_code == 401


async def test_missing_scope(http: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await http.get(f"{URL}/match_facts", headers=keys.headers("analytics:read"))
    assert resp.status_code == 403
    assert resp.json()["missing_scopes"] == ["analytics:export"]


async def test_a_person_token_is_refused(http: httpx.AsyncClient, keys: TestKeys) -> None:
    headers = keys.headers("analytics:export", person_id=str(uuid.uuid4()), roles=["program_manager"])
    resp = await http.get(f"{URL}/match_facts", headers=headers)
    assert resp.status_code == 403
    assert resp.json()["type"].endswith("/export-for-clients-only")


async def test_unknown_table_not_found(http: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await http.get(f"{URL}/analytics_consents", headers=keys.headers("analytics:export"))
    assert resp.status_code == 404
    assert resp.json()["type"].endswith("/export-table-not-found")


async def test_bad_watermark_names_the_parameter(http: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await http.get(
        f"{URL}/match_facts", params={"since": "-1"}, headers=keys.headers("analytics:export")
    )
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["parameter"] == "since"


async def test_incremental_export_follows_consent_erasure_and_deletion(
    app: FastAPI, http: httpx.AsyncClient, keys: TestKeys
) -> None:
    consenting, never, erased, deleted = (uuid.uuid4() for _ in range(4))
    for person in (consenting, erased, deleted):
        await consent(app, person, "ConsentGranted", T0)
    keys_of = {person: await match(app, person) for person in (consenting, never, erased, deleted)}

    async def all_of(since: str, wanted: set[str]) -> tuple[dict[str, dict[str, Any]], str] | None:
        # A row committed while another transaction of the database was still open goes with a later
        # watermark (the export's upper bound is the oldest open transaction): poll until it travels.
        rows, mark = await export(http, keys, since)
        return (rows, mark) if wanted <= set(rows) else None

    first, watermark = await eventually(lambda: all_of("0", set(keys_of.values())), timeout=15)

    assert first[keys_of[consenting]]["participant_id"] == str(consenting)
    assert first[keys_of[consenting]]["_deleted"] is False
    # Without the `analytics` consent only the key travels, marked deleted.
    assert {k: v for k, v in first[keys_of[never]].items() if v is not None} == {
        "export_key": keys_of[never],
        "_deleted": True,
    }
    again, same = await export(http, keys, watermark)
    assert set(again) & set(keys_of.values()) == set()
    assert int(same) >= int(watermark)  # never goes back (other writers may move it on)

    await consent(app, consenting, "ConsentWithdrawn", T0 + timedelta(days=1))
    async with sessionmaker_of(app)() as session, session.begin():
        await erase_person(session, erased)
        await session.execute(delete(MatchFact).where(MatchFact.participant_id == deleted))

    changed, _ = await eventually(
        lambda: all_of(watermark, {keys_of[consenting], keys_of[erased], keys_of[deleted]}), timeout=15
    )

    mine = {k: (v["_deleted"], v["participant_id"]) for k, v in changed.items() if k in keys_of.values()}
    assert mine == {
        keys_of[consenting]: (True, None),  # withdrawn
        keys_of[erased]: (True, None),  # erased: the alias has no consent, the real id is gone
        keys_of[deleted]: (True, None),  # deleted here: its tombstone
    }
    async with sessionmaker_of(app)() as session:
        assert (
            await session.scalar(select(MatchFact.participant_id).where(MatchFact.participant_id == erased))
            is None
        )
