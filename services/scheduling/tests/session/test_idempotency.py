"""A retried booking with an Idempotency-Key books one session and gets the first answer again."""

import asyncio
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select, text

from tandem_kit.testing import TestKeys, asgi_client, eventually
from tandem_scheduling.engagement import service as engagement_service
from tandem_scheduling.engagement.schemas import MatchApproved
from tandem_scheduling.models import Engagement, Session

BASE = "/api/v1/scheduling/engagements"
WRITE = ("scheduling:read", "scheduling:write")


async def book(
    client: httpx.AsyncClient,
    keys: TestKeys,
    engagement: Any,
    key: str,
    *,
    sub: str = "pm-frontend",
    **body: Any,
) -> httpx.Response:
    """Book as the machine client `sub`, with a fresh token each time (as a retry would have)."""
    return await client.post(
        f"{BASE}/{engagement.id}/sessions",
        json=body,
        headers={**keys.headers(*WRITE, sub=sub), "Idempotency-Key": key},
    )


async def test_retried_booking_books_once(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, monday: datetime, outbox: Any
) -> None:
    engagement, key = await make_engagement(), str(uuid.uuid4())
    first = await book(client, keys, engagement, key, starts_at=monday.isoformat(), kind="kickoff")
    retry = await book(client, keys, engagement, key, starts_at=monday.isoformat(), kind="kickoff")

    assert (first.status_code, retry.status_code) == (201, 201), retry.text
    assert retry.json() == first.json()
    assert retry.headers["idempotency-replayed"] == "true"
    assert retry.headers.get("location") == first.headers.get("location")
    listed = await client.get(f"{BASE}/{engagement.id}/sessions", headers=keys.headers(*WRITE))
    assert [s["id"] for s in listed.json()["items"]] == [first.json()["id"]]
    assert await outbox("SessionBooked", session_id=first.json()["id"]) == 1


async def test_same_key_other_time_is_422(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, monday: datetime
) -> None:
    engagement, key = await make_engagement(), str(uuid.uuid4())
    assert (await book(client, keys, engagement, key, starts_at=monday.isoformat())).status_code == 201
    later = (monday + timedelta(hours=1)).isoformat()
    resp = await book(client, keys, engagement, key, starts_at=later)
    assert resp.status_code == 422
    assert resp.json()["type"] == "https://tandem.dev/problems/idempotency-key-reused"
    assert resp.json()["errors"][0]["parameter"] == "Idempotency-Key"


async def test_other_client_same_key_is_independent(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, monday: datetime
) -> None:
    engagement, key = await make_engagement(), "booking-1"
    mine = await book(client, keys, engagement, key, starts_at=monday.isoformat(), sub="pm-frontend")
    later = (monday + timedelta(hours=1)).isoformat()
    theirs = await book(client, keys, engagement, key, starts_at=later, sub="vendor-sync")
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert "idempotency-replayed" not in theirs.headers
    assert theirs.json()["id"] != mine.json()["id"]


async def committed_engagement(app: FastAPI, data: dict[str, Any]) -> Engagement:
    async with app.state.database.sessionmaker() as session:
        engagement = await engagement_service.create_from_match(session, MatchApproved.model_validate(data))
        await session.commit()
        return engagement


async def waiting_on_a_lock(app: FastAPI) -> bool:
    async with app.state.database.engine.connect() as conn:
        waiting = await conn.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
        )
    return bool(waiting)


async def test_concurrent_retry_is_409_then_replayed(
    app: FastAPI, keys: TestKeys, payload: Any, monday: datetime
) -> None:
    """Committed: the first booking holds the key while it waits on a table lock; its retry is refused."""
    engagement, key = await committed_engagement(app, payload()), str(uuid.uuid4())
    body = {"starts_at": monday.isoformat(), "kind": "kickoff"}
    async with asgi_client(app) as client, app.state.database.engine.connect() as blocker:
        await blocker.begin()
        await blocker.execute(text("LOCK TABLE session_attendees IN EXCLUSIVE MODE"))
        first = asyncio.create_task(book(client, keys, engagement, key, **body))
        await eventually(lambda: waiting_on_a_lock(app))

        # Bounded: without the key check the retry would wait on the lock behind the first.
        retry = await asyncio.wait_for(book(client, keys, engagement, key, **body), timeout=10)
        assert retry.status_code == 409
        assert retry.json()["type"] == "https://tandem.dev/problems/idempotency-key-in-use"

        await blocker.rollback()
        done = await first
        later = await book(client, keys, engagement, key, **body)
    assert (done.status_code, later.status_code, later.headers["idempotency-replayed"]) == (201, 201, "true")
    assert later.json() == done.json()
    async with app.state.database.sessionmaker() as session:
        booked = await session.scalar(select(func.count()).where(Session.engagement_id == engagement.id))
    assert booked == 1
