"""A retried consent grant with an Idempotency-Key is recorded once and answered the same way."""

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select, text, update

from tandem_kit.idempotency import idempotency_keys, purge_expired
from tandem_kit.testing import TestKeys, asgi_client, eventually, sessionmaker_of

PEOPLE = "/api/v1/consent/people"
WRITE = ("consent:read", "consent:write")
Decide = Callable[..., Awaitable[httpx.Response]]
Outbox = Callable[..., Awaitable[list[dict[str, Any]]]]


def grants_url(person: uuid.UUID, purpose: str = "matching") -> str:
    return f"{PEOPLE}/{person}/consents/{purpose}/grants"


async def post_grant(
    client: httpx.AsyncClient,
    keys: TestKeys,
    person: uuid.UUID,
    key: str,
    *,
    sub: str = "pm-frontend",
    **body: Any,
) -> httpx.Response:
    """A grant as the machine client `sub`, with a fresh token each time (as a retry would have)."""
    return await client.post(
        grants_url(person),
        json={"notice_version": 1, **body},
        headers={**keys.headers(*WRITE, sub=sub), "Idempotency-Key": key},
    )


async def test_retried_grant_gets_the_first_answer_once(
    client: httpx.AsyncClient, keys: TestKeys, outbox: Outbox
) -> None:
    person, key = uuid.uuid4(), str(uuid.uuid4())
    first = await post_grant(client, keys, person, key, method="api")
    retry = await post_grant(client, keys, person, key, method="api")

    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json() == first.json()
    assert (first.headers.get("idempotency-replayed"), retry.headers["idempotency-replayed"]) == (
        None,
        "true",
    )
    assert retry.headers["content-type"] == "application/json"
    records = await client.get(f"{PEOPLE}/{person}/consent-records", headers=keys.headers(*WRITE))
    assert records.json()["total"] == 1
    assert len(await outbox("ConsentGranted", person_id=str(person))) == 1


async def test_json_spacing_and_key_order_are_the_same_request(
    client: httpx.AsyncClient, keys: TestKeys
) -> None:
    person, key = uuid.uuid4(), "grant-7"
    headers = {**keys.headers(*WRITE), "Idempotency-Key": key, "Content-Type": "application/json"}
    first = await client.post(
        grants_url(person), content=b'{"notice_version": 1, "method": "api"}', headers=headers
    )
    retry = await client.post(
        grants_url(person), content=b'{"method":"api","notice_version":1}', headers=headers
    )
    assert (first.status_code, retry.status_code, retry.headers["idempotency-replayed"]) == (201, 201, "true")


async def test_quoted_key_is_the_same_key(client: httpx.AsyncClient, keys: TestKeys) -> None:
    person = uuid.uuid4()
    first = await post_grant(client, keys, person, "abc-1")
    retry = await post_grant(client, keys, person, '"abc-1"')
    assert (first.status_code, retry.status_code, retry.headers["idempotency-replayed"]) == (201, 201, "true")


async def test_same_key_other_body_is_422(client: httpx.AsyncClient, keys: TestKeys) -> None:
    person, key = uuid.uuid4(), str(uuid.uuid4())
    assert (await post_grant(client, keys, person, key, method="api")).status_code == 201
    resp = await post_grant(client, keys, person, key, method="paper_form")
    assert resp.status_code == 422
    assert resp.headers["content-type"] == "application/problem+json"
    problem = resp.json()
    assert problem["type"] == "https://tandem.dev/problems/idempotency-key-reused"
    assert problem["errors"] == [
        {"detail": "used for another request", "parameter": "Idempotency-Key", "in": "header"}
    ]


async def test_same_key_other_path_is_422(client: httpx.AsyncClient, keys: TestKeys) -> None:
    key = str(uuid.uuid4())
    assert (await post_grant(client, keys, uuid.uuid4(), key)).status_code == 201
    resp = await post_grant(client, keys, uuid.uuid4(), key)
    assert resp.status_code == 422
    assert resp.json()["type"] == "https://tandem.dev/problems/idempotency-key-reused"


async def test_other_client_same_key_is_independent(client: httpx.AsyncClient, keys: TestKeys) -> None:
    key = "shared-key"
    mine = await post_grant(client, keys, uuid.uuid4(), key, sub="pm-frontend")
    theirs = await post_grant(client, keys, uuid.uuid4(), key, sub="hris-sync")
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert "idempotency-replayed" not in theirs.headers
    assert theirs.json()["person_id"] != mine.json()["person_id"]


async def test_refused_request_is_not_stored(client: httpx.AsyncClient, keys: TestKeys) -> None:
    """A 4xx accepted nothing: the caller corrects the request and retries with the same key."""
    person, key = uuid.uuid4(), str(uuid.uuid4())
    refused = await post_grant(client, keys, person, key, notice_version=99)
    corrected = await post_grant(client, keys, person, key, notice_version=1)
    assert (refused.status_code, corrected.status_code) == (422, 201)
    assert refused.json()["type"] == "https://tandem.dev/problems/notice-version-unknown"
    assert "idempotency-replayed" not in corrected.headers


async def test_malformed_keys_are_400(client: httpx.AsyncClient, keys: TestKeys) -> None:
    person = uuid.uuid4()
    for bad in ("x" * 256, "two words", '"unterminated', '""'):
        resp = await post_grant(client, keys, person, bad)
        assert resp.status_code == 400, bad
        assert resp.json()["type"] == "https://tandem.dev/problems/invalid-idempotency-key"
        assert resp.json()["errors"][0]["parameter"] == "Idempotency-Key"
    assert (await post_grant(client, keys, person, "x" * 255)).status_code == 201


async def test_anonymous_with_key_is_401(client: httpx.AsyncClient) -> None:
    resp = await client.post(
        grants_url(uuid.uuid4()), json={"notice_version": 1}, headers={"Idempotency-Key": "k"}
    )
    assert resp.status_code == 401


async def test_key_is_kept_for_24_hours_with_a_sealed_answer(
    app: FastAPI, client: httpx.AsyncClient, keys: TestKeys
) -> None:
    person, key = uuid.uuid4(), str(uuid.uuid4())
    assert (await post_grant(client, keys, person, key)).status_code == 201
    async with sessionmaker_of(app)() as session:
        row = (await session.execute(select(idempotency_keys).where(idempotency_keys.c.key == key))).one()
    assert (row.client_id, row.status_code) == ("pm-frontend", 201)
    # Who sent it and where to are kept as keyed digests: the path names the person.
    assert (len(row.subject), len(row.path)) == (64, 64)
    assert "pm-frontend" not in row.subject
    assert str(person) not in row.path
    assert row.expires_at - row.created_at == timedelta(hours=24)
    assert str(person).encode() not in row.body


async def test_expired_key_runs_again_and_is_purged(
    app: FastAPI, client: httpx.AsyncClient, keys: TestKeys
) -> None:
    person, key = uuid.uuid4(), str(uuid.uuid4())
    assert (await post_grant(client, keys, person, key, method="api")).status_code == 201
    async with sessionmaker_of(app)() as session:
        await session.execute(
            update(idempotency_keys)
            .where(idempotency_keys.c.key == key)
            .values(expires_at=text("now() - interval '1 second'"))
        )
        await session.commit()

    # The key is free again: a different body is no longer a reuse, and it is a new request.
    again = await post_grant(client, keys, person, key, method="paper_form")
    assert (again.status_code, again.headers.get("idempotency-replayed")) == (200, None)
    async with sessionmaker_of(app)() as session:
        await session.execute(
            update(idempotency_keys)
            .where(idempotency_keys.c.key == key)
            .values(expires_at=text("now() - interval '1 second'"))
        )
        await session.commit()
    assert await purge_expired(sessionmaker_of(app)) == 1


async def test_openapi_documents_the_header_on_posts(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/api/v1/consent/openapi.json")).json()
    reference = {"$ref": "#/components/parameters/IdempotencyKey"}
    grant = spec["paths"]["/api/v1/consent/people/{person_id}/consents/{purpose}/grants"]["post"]
    assert reference in grant["parameters"]
    records = spec["paths"]["/api/v1/consent/people/{person_id}/consent-records"]["get"]
    assert reference not in records["parameters"]
    assert spec["components"]["parameters"]["IdempotencyKey"]["in"] == "header"


async def waiting_on_a_lock(app: FastAPI) -> bool:
    async with app.state.database.engine.connect() as conn:
        waiting = await conn.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
        )
    return bool(waiting)


async def test_concurrent_retry_is_409_while_the_first_runs(app: FastAPI, keys: TestKeys) -> None:
    """Committed: the first request holds the key while it waits on the ledger; the retry is refused."""
    person, key = uuid.uuid4(), str(uuid.uuid4())
    async with asgi_client(app) as client, app.state.database.engine.connect() as blocker:
        await blocker.begin()
        await blocker.execute(text("LOCK TABLE consent_records IN EXCLUSIVE MODE"))
        first = asyncio.create_task(post_grant(client, keys, person, key))
        await eventually(lambda: waiting_on_a_lock(app))

        # Bounded: without the key check the retry would wait on the lock behind the first.
        retry = await asyncio.wait_for(post_grant(client, keys, person, key), timeout=10)
        assert retry.status_code == 409
        assert retry.json()["type"] == "https://tandem.dev/problems/idempotency-key-in-use"
        assert retry.headers["retry-after"] == "1"

        await blocker.rollback()
        done = await first
        later = await post_grant(client, keys, person, key)
    assert (done.status_code, later.status_code, later.headers["idempotency-replayed"]) == (201, 201, "true")
    assert later.json() == done.json()
