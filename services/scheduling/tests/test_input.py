"""Input PostgreSQL cannot store is a 422 naming the field, never a 500."""

import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tandem_kit.testing import TestKeys, unguarded_inputs

API = "/api/v1/scheduling"
WRITER = ("scheduling:read", "scheduling:write")
CLAUSES = [
    "scope",
    "confidentiality",
    "cadence",
    "success_criteria",
    "escalation_path",
    "data_usage_consent",
    "sponsor_actions",
    "termination",
]


def test_every_text_and_integer_input_is_bounded(app: FastAPI) -> None:
    assert unguarded_inputs(app) == []


def assert_invalid(resp: httpx.Response, **where: str) -> dict[str, Any]:
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = resp.json()
    assert {k: body["errors"][0][k] for k in where} == where
    return body


@pytest.mark.parametrize("clause", CLAUSES)
async def test_nul_in_a_clause(client: httpx.AsyncClient, keys: TestKeys, clause: str) -> None:
    text = dict.fromkeys(CLAUSES, "Agreed.") | {clause: "Agreed.\u0000"}
    resp = await client.put(
        f"{API}/engagements/{uuid.uuid4()}/working-agreement", json=text, headers=keys.headers(*WRITER)
    )
    assert_invalid(resp, pointer=f"#/{clause}", code="string_nul")


async def test_nul_in_a_cancel_reason(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.post(
        f"{API}/engagements/{uuid.uuid4()}/sessions/{uuid.uuid4()}/cancel",
        json={"reason": "\u0000"},
        headers=keys.headers(*WRITER),
    )
    assert_invalid(resp, pointer="#/reason", code="string_nul")


async def test_signed_version_past_int4(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.post(
        f"{API}/engagements/{uuid.uuid4()}/working-agreement/signatures",
        json={"version": 2**31},
        headers=keys.headers(*WRITER),
    )
    assert_invalid(resp, pointer="#/version", code="less_than_equal")


@pytest.mark.parametrize(
    "path", ["/engagements", "/engagements/8db6e673-f183-4971-8ba3-faab08268412/sessions"]
)
async def test_offset_past_bigint(client: httpx.AsyncClient, keys: TestKeys, path: str) -> None:
    resp = await client.get(API + path, params={"offset": 2**63}, headers=keys.headers(*WRITER))
    assert_invalid(resp, parameter="offset", code="less_than_equal")


async def test_nul_in_a_path_segment(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.get(f"{API}/engagements/%00", headers=keys.headers(*WRITER))
    assert_invalid(resp, parameter="engagement_id", **{"in": "path"})
