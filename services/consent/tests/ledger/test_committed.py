"""Committed writes: the relay publishes to the real broker, and concurrent decisions never race."""

import asyncio
import json
import uuid

import nats
from fastapi import FastAPI
from nats.js.api import ConsumerConfig, DeliverPolicy

from tandem_kit.testing import Infra, TestKeys, asgi_client, eventually

PEOPLE = "/api/v1/consent/people"


async def published(infra: Infra, subject: str, person_id: uuid.UUID) -> list[dict[str, object]]:
    """Every event on `subject` about the person that JetStream holds."""
    nc = await nats.connect(infra.nats.url)
    try:
        js = nc.jetstream()
        sub = await js.pull_subscribe(
            subject, stream="TANDEM", config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL)
        )
        found = []
        try:
            for msg in await sub.fetch(batch=1000, timeout=1):
                envelope = json.loads(msg.data)
                if envelope["data"]["person_id"] == str(person_id):
                    found.append(envelope)
        except TimeoutError:
            pass
        await sub.unsubscribe()
        return found
    finally:
        await nc.close()


async def test_grant_and_withdrawal_reach_the_broker(app: FastAPI, infra: Infra, keys: TestKeys) -> None:
    person = uuid.uuid4()
    headers = keys.headers("consent:write")
    async with asgi_client(app) as client:
        granted = await client.post(
            f"{PEOPLE}/{person}/consents/matching/grants", json={"notice_version": 1}, headers=headers
        )
        withdrawn = await client.post(
            f"{PEOPLE}/{person}/consents/matching/withdrawals", json={}, headers=headers
        )
    assert (granted.status_code, withdrawn.status_code) == (201, 201)

    grants = await eventually(lambda: published(infra, "tandem.consent.ConsentGranted", person))
    assert grants[0]["source"] == "consent"
    assert grants[0]["data"] == {
        "person_id": str(person),
        "purpose": "matching",
        "notice_version": 1,
        "granted_at": granted.json()["granted_at"].replace("+00:00", "Z"),
    }
    withdrawals = await eventually(lambda: published(infra, "tandem.consent.ConsentWithdrawn", person))
    assert [w["data"]["purpose"] for w in withdrawals] == ["matching"]


async def test_concurrent_decisions_get_distinct_sequences(app: FastAPI, keys: TestKeys) -> None:
    person = uuid.uuid4()
    headers = keys.headers("consent:write", "consent:read")
    field_sets = [["skills"], ["timezone"], ["skills", "timezone"], ["working_hours"]] * 3

    async with asgi_client(app) as client:
        responses = await asyncio.gather(
            *(
                client.post(
                    f"{PEOPLE}/{person}/consents/matching/grants",
                    json={"notice_version": 1, "fields": fields},
                    headers=headers,
                )
                for fields in field_sets
            )
        )
        ledger = await client.get(f"{PEOPLE}/{person}/consent-records?purpose=matching", headers=headers)
        state = await client.get(f"{PEOPLE}/{person}/consents/matching", headers=headers)

    assert {r.status_code for r in responses} <= {200, 201}
    records = ledger.json()["items"]
    created = sum(r.status_code == 201 for r in responses)
    assert [r["sequence"] for r in records] == list(range(1, created + 1))
    assert state.json()["sequence"] == created
    assert state.json()["fields"] == records[-1]["fields"]
