"""Input PostgreSQL cannot store is a 422 naming the field, never a 500 (NUL, integers past int4)."""

import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tandem_kit.testing import TestKeys, unguarded_inputs

API = "/api/v1/matching"
MANAGER = ("matching:read", "matching:write", "matching:decide")
PROGRAM = {"name": "Pilot", "tracks": ["coaching"], "starts_on": "2026-01-05", "ends_on": "2026-06-26"}
OFFICE = [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(5)]
PROVIDER = {
    "person_id": str(uuid.uuid4()),
    "kind": "mentor",
    "timezone": "Europe/London",
    "working_hours": OFFICE,
    "languages": ["en"],
}


def test_every_text_and_integer_input_is_bounded(app: FastAPI) -> None:
    assert unguarded_inputs(app) == []


def assert_invalid(resp: httpx.Response, **where: str) -> dict[str, Any]:
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = resp.json()
    assert body["type"] == "https://tandem.dev/problems/validation-error"
    assert {k: body["errors"][0][k] for k in where} == where
    return body


async def test_nul_in_a_body_field(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.post(
        f"{API}/programs", json={**PROGRAM, "name": "Pi\u0000lot"}, headers=keys.headers(*MANAGER)
    )
    assert_invalid(resp, pointer="#/name", code="string_nul")


async def test_nul_in_a_nested_free_text_field(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.post(
        f"{API}/proposals/{uuid.uuid4()}/reject",
        json={"reason": "no\u0000pe"},
        headers=keys.headers(*MANAGER),
    )
    assert_invalid(resp, pointer="#/reason", code="string_nul")


async def test_nul_in_a_path_segment(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.get(f"{API}/programs/%00", headers=keys.headers(*MANAGER))
    assert_invalid(resp, parameter="program_id", **{"in": "path"})


@pytest.mark.parametrize("offset", [2**63, 10**30])
async def test_offset_past_bigint(client: httpx.AsyncClient, keys: TestKeys, offset: int) -> None:
    resp = await client.get(f"{API}/programs", params={"offset": offset}, headers=keys.headers(*MANAGER))
    assert_invalid(resp, parameter="offset", code="less_than_equal")


async def test_active_leaders_past_int4(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.post(
        f"{API}/programs", json={**PROGRAM, "active_leaders": 2**31}, headers=keys.headers(*MANAGER)
    )
    assert_invalid(resp, pointer="#/active_leaders", code="less_than_equal")


async def test_active_leaders_at_int4_max_is_stored(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.post(
        f"{API}/programs", json={**PROGRAM, "active_leaders": 2**31 - 1}, headers=keys.headers(*MANAGER)
    )
    assert resp.status_code == 201, resp.text
    capacity = await client.get(
        f"{API}/programs/{resp.json()['id']}/capacity", headers=keys.headers(*MANAGER)
    )
    assert capacity.json()["active_leaders"] == 2**31 - 1


@pytest.mark.parametrize(
    "field", ["sessions_completed", "sessions_scheduled", "sponsorship_actions", "promotions_sponsored"]
)
async def test_provider_counts_past_int4(client: httpx.AsyncClient, keys: TestKeys, field: str) -> None:
    headers = keys.headers(*MANAGER)
    program = (await client.post(f"{API}/programs", json=PROGRAM, headers=headers)).json()
    resp = await client.post(
        f"{API}/programs/{program['id']}/providers", json={**PROVIDER, field: 2**31}, headers=headers
    )
    assert_invalid(resp, pointer=f"#/{field}", code="less_than_equal")
    created = await client.post(f"{API}/programs/{program['id']}/providers", json=PROVIDER, headers=headers)
    patched = await client.patch(
        f"{API}/providers/{created.json()['id']}", json={field: 2**40}, headers=headers
    )
    assert_invalid(patched, pointer=f"#/{field}", code="less_than_equal")
