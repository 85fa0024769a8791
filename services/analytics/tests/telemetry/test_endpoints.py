import asyncio
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from tandem_analytics.events import VendorSessionReported
from tandem_analytics.models import SessionTelemetry
from tandem_kit.events import EventEnvelope, outbox_messages
from tandem_kit.testing import TestKeys, asgi_client, sessionmaker_of

Signed = Callable[..., tuple[bytes, dict[str, str]]]
Event = Callable[..., dict[str, Any]]


async def stored(app: FastAPI, vendor_id: str, webhook_id: str) -> int:
    async with sessionmaker_of(app)() as session:
        count = await session.scalar(
            select(func.count()).where(
                SessionTelemetry.vendor_id == uuid.UUID(vendor_id), SessionTelemetry.webhook_id == webhook_id
            )
        )
    return int(count or 0)


async def test_anonymous(client: httpx.AsyncClient, vendor: Any, signed: Signed, event: Event) -> None:
    body, headers = signed(vendor.secret, event())
    resp = await client.post(vendor.events_url, content=body, headers=headers)
    assert resp.status_code == 401
    assert resp.headers["www-authenticate"] == "Bearer"


async def test_missing_scope(
    client: httpx.AsyncClient, keys: TestKeys, vendor: Any, signed: Signed, event: Event
) -> None:
    body, headers = signed(vendor.secret, event())
    resp = await client.post(
        vendor.events_url, content=body, headers=headers | keys.headers("analytics:read")
    )
    assert resp.status_code == 403
    assert resp.json()["missing_scopes"] == ["analytics:ingest"]


async def test_unknown_vendor_not_found(
    client: httpx.AsyncClient, keys: TestKeys, signed: Signed, event: Event
) -> None:
    body, headers = signed("whsec_" + "A" * 44, event(), keys=keys)
    resp = await client.post(
        f"/api/v1/analytics/vendors/{uuid.uuid4()}/events", content=body, headers=headers
    )
    assert resp.status_code == 404
    assert resp.json()["type"].endswith("/vendor-not-found")


async def test_vendor_bound_to_other_client_not_found(
    client: httpx.AsyncClient, keys: TestKeys, new_vendor: Any, signed: Signed, event: Event
) -> None:
    bound = await new_vendor(client, client_id="betterup-client")
    body, headers = signed(bound.secret, event(), keys=keys)  # token client is "test-client"
    resp = await client.post(bound.events_url, content=body, headers=headers)
    assert resp.status_code == 404
    body, headers = signed(bound.secret, event())
    headers |= keys.headers("analytics:ingest", sub="betterup-client")
    assert (await client.post(bound.events_url, content=body, headers=headers)).status_code == 202


async def test_valid(
    client: httpx.AsyncClient, keys: TestKeys, vendor: Any, signed: Signed, event: Event, app: FastAPI
) -> None:
    payload = event(match_id=str(uuid.uuid4()))
    body, headers = signed(vendor.secret, payload, msg_id="msg_valid_1", keys=keys)
    resp = await client.post(vendor.events_url, content=body, headers=headers)
    assert resp.status_code == 202, resp.text
    assert resp.json()["id"] == "msg_valid_1"
    assert resp.json()["duplicate"] is False
    async with sessionmaker_of(app)() as session:
        row = await session.scalar(
            select(SessionTelemetry).where(SessionTelemetry.webhook_id == "msg_valid_1")
        )
    assert row is not None
    assert (row.type, row.rating, row.duration_minutes) == ("session.completed", 5, 55)
    assert str(row.match_id) == payload["data"]["match_id"]


async def test_wrong_secret(
    client: httpx.AsyncClient, keys: TestKeys, vendor: Any, new_vendor: Any, signed: Signed, event: Event
) -> None:
    other = await new_vendor(client)
    body, headers = signed(other.secret, event(), keys=keys)
    resp = await client.post(vendor.events_url, content=body, headers=headers)
    assert resp.status_code == 401
    assert resp.headers["content-type"] == "application/problem+json"
    assert resp.json()["type"].endswith("/webhook-signature-invalid")
    assert resp.json()["detail"] == "No webhook-signature matches the message."


async def test_tampered_body(
    client: httpx.AsyncClient, keys: TestKeys, vendor: Any, signed: Signed, event: Event
) -> None:
    body, headers = signed(vendor.secret, event(), keys=keys)
    resp = await client.post(vendor.events_url, content=body.replace(b"55", b"56"), headers=headers)
    assert resp.status_code == 401


async def test_stale_timestamp(
    client: httpx.AsyncClient, keys: TestKeys, vendor: Any, signed: Signed, event: Event
) -> None:
    for skew in (-301, 301):
        body, headers = signed(vendor.secret, event(), timestamp=int(time.time()) + skew, keys=keys)
        resp = await client.post(vendor.events_url, content=body, headers=headers)
        assert resp.status_code == 401
        assert "outside the accepted window" in resp.json()["detail"]


async def test_missing_headers(
    client: httpx.AsyncClient, keys: TestKeys, vendor: Any, signed: Signed, event: Event
) -> None:
    for header in ("webhook-id", "webhook-timestamp", "webhook-signature"):
        body, headers = signed(vendor.secret, event(), keys=keys)
        del headers[header]
        resp = await client.post(vendor.events_url, content=body, headers=headers)
        assert resp.status_code == 401
        assert resp.json()["detail"] == f"Missing header(s): {header}."


async def test_replay_is_stored_once(
    client: httpx.AsyncClient, keys: TestKeys, vendor: Any, signed: Signed, event: Event, app: FastAPI
) -> None:
    body, headers = signed(vendor.secret, event(), msg_id="msg_replayed", keys=keys)
    first = await client.post(vendor.events_url, content=body, headers=headers)
    second = await client.post(vendor.events_url, content=body, headers=headers)
    assert (first.status_code, second.status_code) == (202, 200)
    assert second.json()["duplicate"] is True
    assert second.json()["received_at"] == first.json()["received_at"]
    assert await stored(app, vendor.id, "msg_replayed") == 1


async def test_concurrent_replays_store_once(
    app: FastAPI, keys: TestKeys, new_vendor: Any, signed: Signed, event: Event
) -> None:
    async with asgi_client(app) as committed:
        vendor = await new_vendor(committed)
        msg_id = f"msg_{uuid.uuid4().hex}"
        body, headers = signed(vendor.secret, event(), msg_id=msg_id, keys=keys)
        responses = await asyncio.gather(
            *(committed.post(vendor.events_url, content=body, headers=headers) for _ in range(8))
        )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 7 + [202]
    assert sum(r.json()["duplicate"] for r in responses) == 7
    assert await stored(app, vendor.id, msg_id) == 1


async def test_invalid_rating_names_field(
    client: httpx.AsyncClient, keys: TestKeys, vendor: Any, signed: Signed, event: Event
) -> None:
    body, headers = signed(vendor.secret, event(rating=6), keys=keys)
    resp = await client.post(vendor.events_url, content=body, headers=headers)
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["pointer"] == "#/data/rating"
    assert "#/data/rating" in resp.json()["detail"]


async def test_missing_participant_names_field(
    client: httpx.AsyncClient, keys: TestKeys, vendor: Any, signed: Signed, event: Event
) -> None:
    payload = event()
    del payload["data"]["participant_id"]
    body, headers = signed(vendor.secret, payload, keys=keys)
    resp = await client.post(vendor.events_url, content=body, headers=headers)
    assert resp.status_code == 422
    assert [e["pointer"] for e in resp.json()["errors"]] == ["#/data/participant_id"]


async def test_rating_only_on_completed(
    client: httpx.AsyncClient, keys: TestKeys, vendor: Any, signed: Signed, event: Event
) -> None:
    body, headers = signed(vendor.secret, event("session.no_show", rating=2), keys=keys)
    resp = await client.post(vendor.events_url, content=body, headers=headers)
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["pointer"] == "#/data/rating"


async def test_free_text_is_refused(
    client: httpx.AsyncClient, keys: TestKeys, vendor: Any, signed: Signed, event: Event
) -> None:
    body, headers = signed(vendor.secret, event(transcript="Coach: so how did the review go?"), keys=keys)
    resp = await client.post(vendor.events_url, content=body, headers=headers)
    assert resp.status_code == 422
    error = resp.json()["errors"][0]
    assert error["pointer"] == "#/data/transcript"
    assert error["detail"].startswith("free-text session content is not accepted")


async def test_unknown_type_names_field(
    client: httpx.AsyncClient, keys: TestKeys, vendor: Any, signed: Signed, event: Event
) -> None:
    body, headers = signed(vendor.secret, event("session.rescheduled"), keys=keys)
    resp = await client.post(vendor.events_url, content=body, headers=headers)
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["pointer"] == "#/type"


async def test_batch_with_duplicates_and_a_bad_item(
    client: httpx.AsyncClient, keys: TestKeys, vendor: Any, signed: Signed, event: Event, app: FastAPI
) -> None:
    earlier, headers = signed(vendor.secret, event(), msg_id="msg_b0", keys=keys)
    assert (await client.post(vendor.events_url, content=earlier, headers=headers)).status_code == 202
    items = [
        {"id": "msg_b1", **event()},
        {"id": "msg_b0", **event()},  # already received singly
        {"id": "msg_b2", **event("session.no_show")},
        {"id": "msg_b1", **event()},  # repeated inside the batch
        {"id": "msg_b3", **event(notes="talked about her manager")},
        {"id": "msg_b4", **event("session.scheduled")},
    ]
    body, headers = signed(vendor.secret, items, keys=keys)
    resp = await client.post(vendor.batch_url, content=body, headers=headers)
    assert resp.status_code == 200, resp.text
    result = resp.json()
    assert (result["accepted"], result["duplicates"], result["rejected"]) == (3, 2, 1)
    assert [(r["id"], r["status"]) for r in result["results"]] == [
        ("msg_b1", "accepted"),
        ("msg_b0", "duplicate"),
        ("msg_b2", "accepted"),
        ("msg_b1", "duplicate"),
        ("msg_b3", "rejected"),
        ("msg_b4", "accepted"),
    ]
    assert result["results"][4]["errors"][0]["pointer"] == "#/4/data/notes"
    for msg_id, count in (("msg_b0", 1), ("msg_b1", 1), ("msg_b2", 1), ("msg_b3", 0), ("msg_b4", 1)):
        assert await stored(app, vendor.id, msg_id) == count

    again = await client.post(vendor.batch_url, content=body, headers=headers)
    assert (again.json()["accepted"], again.json()["duplicates"]) == (0, 5)


async def test_batch_return_minimal_lists_only_the_items_not_accepted(
    client: httpx.AsyncClient, keys: TestKeys, vendor: Any, signed: Signed, event: Event, app: FastAPI
) -> None:
    earlier, headers = signed(vendor.secret, event(), msg_id="msg_m0", keys=keys)
    assert (await client.post(vendor.events_url, content=earlier, headers=headers)).status_code == 202
    items = [
        {"id": "msg_m1", **event()},
        {"id": "msg_m0", **event()},  # already received
        {"id": "msg_m2", **event(participant_id=str(uuid.uuid4()))},  # no vendor_sharing
        {"id": "msg_m3", **event(transcript="...")},
        {"id": "msg_m4", **event("session.no_show")},
    ]
    body, headers = signed(vendor.secret, items, keys=keys)
    for prefer in ("return=minimal", 'respond-async, RETURN="minimal"; x=1'):
        resp = await client.post(vendor.batch_url, content=body, headers=headers | {"prefer": prefer})
        assert resp.status_code == 200, resp.text
        assert resp.headers["preference-applied"] == "return=minimal"
        result = resp.json()
        # Counts stay whole; only items not accepted are listed, with their place in the batch.
        assert [(r["index"], r["id"], r["status"]) for r in result["results"]] == (
            [(1, "msg_m0", "duplicate"), (2, "msg_m2", "dropped"), (3, "msg_m3", "rejected")]
            if prefer == "return=minimal"
            else [
                (0, "msg_m1", "duplicate"),
                (1, "msg_m0", "duplicate"),
                (2, "msg_m2", "dropped"),
                (3, "msg_m3", "rejected"),
                (4, "msg_m4", "duplicate"),
            ]
        )
        assert (
            result["results"][-1 if prefer == "return=minimal" else 3]["errors"][0]["pointer"]
            == "#/3/data/transcript"
        )
    assert await stored(app, vendor.id, "msg_m1") == 1
    assert await stored(app, vendor.id, "msg_m4") == 1

    full = await client.post(
        vendor.batch_url, content=body, headers=headers | {"prefer": "return=representation"}
    )
    assert "preference-applied" not in full.headers
    assert [r["status"] for r in full.json()["results"]] == [
        "duplicate",
        "duplicate",
        "dropped",
        "rejected",
        "duplicate",
    ]


async def test_batch_signature_covers_whole_body(
    client: httpx.AsyncClient, keys: TestKeys, vendor: Any, signed: Signed, event: Event
) -> None:
    body, headers = signed(vendor.secret, [{"id": "msg_x", **event()}], keys=keys)
    resp = await client.post(vendor.batch_url, content=body + b" ", headers=headers)
    assert resp.status_code == 401


async def test_batch_must_be_array(
    client: httpx.AsyncClient, keys: TestKeys, vendor: Any, signed: Signed, event: Event
) -> None:
    body, headers = signed(vendor.secret, event(), keys=keys)
    resp = await client.post(vendor.batch_url, content=body, headers=headers)
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["pointer"] == "#/"


async def test_concurrent_overlapping_batches(
    app: FastAPI, keys: TestKeys, new_vendor: Any, signed: Signed, event: Event
) -> None:
    async with asgi_client(app) as committed:
        vendor = await new_vendor(committed)
        ids = [f"msg_{uuid.uuid4().hex}" for _ in range(6)]
        forward = signed(vendor.secret, [{"id": i, **event()} for i in ids], keys=keys)
        backward = signed(vendor.secret, [{"id": i, **event()} for i in reversed(ids)], keys=keys)
        responses = await asyncio.gather(
            *(committed.post(vendor.batch_url, content=b, headers=h) for b, h in (forward, backward) * 3)
        )
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
    assert sum(r.json()["accepted"] for r in responses) == 6
    assert sum(r.json()["duplicates"] for r in responses) == 30
    for msg_id in ids:
        assert await stored(app, vendor.id, msg_id) == 1


async def test_a_participant_without_vendor_sharing_is_dropped_until_granted(
    app: FastAPI, keys: TestKeys, new_vendor: Any, signed: Signed, event: Event, share_with_vendors: Any
) -> None:
    participant = uuid.uuid4()
    async with asgi_client(app) as committed:
        vendor = await new_vendor(committed)
        body, headers = signed(vendor.secret, event(participant_id=str(participant)), keys=keys)

        dropped = await committed.post(vendor.events_url, content=body, headers=headers)
        assert dropped.status_code == 202
        assert dropped.json() == {
            "id": headers["webhook-id"],
            "duplicate": False,
            "received_at": None,
            "dropped": "vendor_sharing_not_granted",
        }
        assert await stored(app, vendor.id, headers["webhook-id"]) == 0

        await share_with_vendors(app, participant)
        resent = await committed.post(vendor.events_url, content=body, headers=headers)
        assert (resent.status_code, resent.json()["dropped"]) == (202, None)
        assert await stored(app, vendor.id, headers["webhook-id"]) == 1

        await share_with_vendors(app, participant, granted=False)
        later, later_headers = signed(vendor.secret, event(participant_id=str(participant)), keys=keys)
        after = await committed.post(vendor.events_url, content=later, headers=later_headers)
        assert after.json()["dropped"] == "vendor_sharing_not_granted"
        assert await stored(app, vendor.id, later_headers["webhook-id"]) == 0


async def test_batch_counts_items_dropped_for_vendor_sharing(
    client: httpx.AsyncClient, keys: TestKeys, vendor: Any, signed: Signed, event: Event, app: FastAPI
) -> None:
    items = [
        {"id": "msg_s1", **event()},
        {"id": "msg_s2", **event(participant_id=str(uuid.uuid4()))},
        {"id": "msg_s3", **event("session.no_show")},
    ]
    body, headers = signed(vendor.secret, items, keys=keys)
    resp = await client.post(vendor.batch_url, content=body, headers=headers)
    result = resp.json()
    assert (result["accepted"], result["duplicates"], result["rejected"], result["dropped"]) == (2, 0, 0, 1)
    assert [(r["status"], r["reason"]) for r in result["results"]] == [
        ("accepted", None),
        ("dropped", "vendor_sharing_not_granted"),
        ("accepted", None),
    ]


async def test_outcomes_naming_a_tandem_session_are_reported_once(
    app: FastAPI, keys: TestKeys, new_vendor: Any, signed: Signed, event: Event
) -> None:
    held, missed, planned = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    items = [
        {"id": "msg_r1", **event(session_id=str(held))},
        {"id": "msg_r2", **event("session.no_show", session_id=str(missed))},
        {"id": "msg_r3", **event("session.scheduled", session_id=str(planned))},
        {"id": "msg_r4", **event()},  # no Tandem session id: nothing to reconcile
    ]
    async with asgi_client(app) as committed:
        vendor = await new_vendor(committed)
        body, headers = signed(vendor.secret, items, keys=keys)
        for _ in range(2):  # the second delivery is all duplicates: no event again
            assert (await committed.post(vendor.batch_url, content=body, headers=headers)).status_code == 200

    async with sessionmaker_of(app)() as session:
        payloads = (
            await session.scalars(
                select(outbox_messages.c.payload).where(
                    outbox_messages.c.subject == "tandem.analytics.VendorSessionReported",
                    outbox_messages.c.payload["data"]["vendor_id"].astext == vendor.id,
                )
            )
        ).all()
        telemetry_ids = dict(
            (
                await session.execute(
                    select(SessionTelemetry.session_id, SessionTelemetry.id).where(
                        SessionTelemetry.vendor_id == uuid.UUID(vendor.id)
                    )
                )
            )
            .tuples()
            .all()
        )
    reported = {}
    for payload in payloads:
        envelope = EventEnvelope.model_validate(payload)
        assert (envelope.type, envelope.source) == ("VendorSessionReported", "analytics")
        data = VendorSessionReported.model_validate(envelope.data)
        assert data.telemetry_id == telemetry_ids[data.session_id]
        reported[data.session_id] = data.outcome
    assert reported == {held: "completed", missed: "no_show"}
    assert len(payloads) == 2


async def test_batch_ids_in_any_accepted_form_count_the_same_person(
    client: httpx.AsyncClient, keys: TestKeys, vendor: Any, signed: Signed, event: Event, app: FastAPI
) -> None:
    shared = "00000000-0000-4000-8000-00000000c0de"  # conftest's SHARING_PARTICIPANT
    items = [
        {"id": "msg_f1", **event(participant_id=shared.upper())},
        {"id": "msg_f2", **event(participant_id="{" + shared + "}")},  # only the full model reads this
    ]
    body, headers = signed(vendor.secret, items, keys=keys)
    result = (await client.post(vendor.batch_url, content=body, headers=headers)).json()
    assert [r["status"] for r in result["results"]] == ["accepted", "accepted"]
    assert await stored(app, vendor.id, "msg_f1") == 1
    assert await stored(app, vendor.id, "msg_f2") == 1
