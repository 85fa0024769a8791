"""Input PostgreSQL cannot store is a 422 naming the field; telemetry batches have the bulk body limit."""

from typing import Any

import httpx
from fastapi import FastAPI

from tandem_analytics.telemetry.schemas import VendorBatchItem, VendorEvent
from tandem_kit.testing import TestKeys, unguarded_inputs

API = "/api/v1/analytics"
MIB = 1024 * 1024
Signed = Any
Event = Any


def test_every_text_and_integer_input_is_bounded(app: FastAPI) -> None:
    assert unguarded_inputs(app, VendorEvent, VendorBatchItem) == []


async def test_nul_in_a_vendor_name(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.post(f"{API}/vendors", json={"name": "Better\u0000Up"}, headers=keys.headers("admin"))
    assert resp.status_code == 422
    assert resp.headers["content-type"] == "application/problem+json"
    assert resp.json()["errors"][0]["pointer"] == "#/name"


async def test_nul_in_a_kpi_name(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.get(f"{API}/kpis/%00", headers=keys.headers("analytics:read"))
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["parameter"] == "name"


async def test_nul_in_a_single_event(
    client: httpx.AsyncClient, keys: TestKeys, vendor: Any, signed: Signed, event: Event
) -> None:
    body, headers = signed(vendor.secret, event(vendor_session_id="vs-\u0000"), keys=keys)
    resp = await client.post(vendor.events_url, content=body, headers=headers)
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["pointer"] == "#/data/vendor_session_id"


async def test_nul_in_batch_items_rejects_only_them(
    client: httpx.AsyncClient, keys: TestKeys, vendor: Any, signed: Signed, event: Event
) -> None:
    items = [
        {"id": "msg_n0", **event()},
        {"id": "msg_n1\u0000", **event()},
        {"id": "msg_n2", **event(vendor_session_id="\u0000")},
    ]
    body, headers = signed(vendor.secret, items, keys=keys)
    resp = await client.post(vendor.batch_url, content=body, headers=headers)
    assert resp.status_code == 200, resp.text
    results = resp.json()["results"]
    assert [r["status"] for r in results] == ["accepted", "rejected", "rejected"]
    assert [r["errors"][0]["pointer"] for r in results[1:]] == ["#/1/id", "#/2/data/vendor_session_id"]


async def test_a_batch_above_1_mib_is_read_one_above_8_is_413(
    client: httpx.AsyncClient, keys: TestKeys, vendor: Any, signed: Signed, event: Event
) -> None:
    many = [{"id": f"msg_p{i}", **event()} for i in range(5000)]
    body, headers = signed(vendor.secret, many, keys=keys)
    assert MIB < len(body) < 8 * MIB
    resp = await client.post(vendor.batch_url, content=body, headers=headers)
    assert resp.status_code == 422  # read and parsed: refused for its item count, not its size
    assert resp.json()["errors"][0]["detail"] == "a batch holds at most 500 items"
    huge = b"[" + b" " * (8 * MIB) + b"]"
    resp = await client.post(vendor.batch_url, content=huge, headers=headers)
    assert resp.status_code == 413
    assert resp.json()["max_body_bytes"] == 8 * MIB


async def test_a_single_event_above_1_mib_is_413(
    client: httpx.AsyncClient, keys: TestKeys, vendor: Any, signed: Signed, event: Event
) -> None:
    body, headers = signed(vendor.secret, event(), keys=keys)
    resp = await client.post(vendor.events_url, content=body + b" " * MIB, headers=headers)
    assert resp.status_code == 413
    assert resp.json()["max_body_bytes"] == MIB
