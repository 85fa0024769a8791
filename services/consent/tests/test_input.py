"""Input PostgreSQL cannot store is a 422 naming the field; bodies above their route's limit are 413."""

import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tandem_kit.testing import TestKeys, unguarded_inputs

API = "/api/v1/consent"
ADMIN = ("consent:read", "consent:write", "admin")
MIB = 1024 * 1024


def test_every_text_and_integer_input_is_bounded(app: FastAPI) -> None:
    assert unguarded_inputs(app) == []


def assert_invalid(resp: httpx.Response, **where: str) -> dict[str, Any]:
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = resp.json()
    assert body["type"] == "https://tandem.dev/problems/validation-error"
    assert {k: body["errors"][0][k] for k in where} == where
    return body


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/purposes/%00", "key"),
        ("/purposes/matching%00/notices", "key"),
        ("/data-fields/%00", "key"),
        ("/anonymity-rules/%00", "purpose"),
        ("/retention-policies/%00", "category"),
        ("/people/3f6c2a9e-7d41-4b8e-9a0c-5e2d1b7f8c64/consents/%00", "purpose"),
    ],
)
async def test_nul_in_a_path_segment(
    client: httpx.AsyncClient, keys: TestKeys, path: str, parameter: str
) -> None:
    resp = await client.get(API + path, headers=keys.headers(*ADMIN))
    assert_invalid(resp, parameter=parameter, code="string_nul", **{"in": "path"})


async def test_notice_version_past_int4(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.get(f"{API}/purposes/matching/notices/{2**31}", headers=keys.headers(*ADMIN))
    assert_invalid(resp, parameter="version", code="less_than_equal")


async def test_nul_in_a_body_field(client: httpx.AsyncClient, keys: TestKeys) -> None:
    body = {"key": "pulse", "title": "Pulse", "description": "What\u0000"}
    resp = await client.post(f"{API}/purposes", json=body, headers=keys.headers(*ADMIN))
    assert_invalid(resp, pointer="#/description", code="string_nul")


async def test_nul_in_evidence_keys_and_values(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.post(
        f"{API}/people/{uuid.uuid4()}/consents/matching/withdrawals",
        json={"evidence": {"locale": "en\u0000"}},
        headers=keys.headers(*ADMIN),
    )
    assert_invalid(resp, pointer="#/evidence/locale", code="string_nul")


async def test_nul_inside_an_export(client: httpx.AsyncClient, keys: TestKeys) -> None:
    receipt = {
        "service": "matching",
        "outcome": "completed",
        "records": 1,
        "export": {"a": [{"b": "\u0000"}]},
    }
    resp = await client.post(
        f"{API}/data-subject-requests/{uuid.uuid4()}/receipts",
        json=receipt,
        headers=keys.headers("consent:receipt", sub="matching", client_name="matching"),
    )
    assert_invalid(resp, pointer="#/export")


async def test_nul_in_a_query_parameter(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.get(
        f"{API}/people/{uuid.uuid4()}/consent-records",
        params={"purpose": "\x00"},
        headers=keys.headers(*ADMIN),
    )
    assert_invalid(resp, parameter="purpose", **{"in": "query"})


@pytest.mark.parametrize(
    "path", ["/data-subject-requests", "/people/0b0e4e1c-5f4e-4a53-9d1f-0c2f3f6c1a11/consent-records"]
)
async def test_offset_past_bigint(client: httpx.AsyncClient, keys: TestKeys, path: str) -> None:
    resp = await client.get(API + path, params={"offset": 2**63}, headers=keys.headers(*ADMIN))
    assert_invalid(resp, parameter="offset", code="less_than_equal")


async def test_ordinary_write_above_1_mib_is_413(client: httpx.AsyncClient, keys: TestKeys) -> None:
    body = {"key": "pulse", "title": "Pulse", "description": "x" * MIB}
    resp = await client.post(f"{API}/purposes", json=body, headers=keys.headers(*ADMIN))
    assert resp.status_code == 413
    assert resp.headers["content-type"] == "application/problem+json"
    assert resp.json()["max_body_bytes"] == MIB


async def test_receipts_take_exports_above_1_mib_but_not_above_8(
    client: httpx.AsyncClient, keys: TestKeys
) -> None:
    path = f"{API}/data-subject-requests/{uuid.uuid4()}/receipts"
    receipt = {
        "service": "matching",
        "outcome": "completed",
        "records": 1,
        "export": {"rows": "x" * (2 * MIB)},
    }
    matching = keys.headers("consent:receipt", sub="matching", client_name="matching")
    resp = await client.post(path, json=receipt, headers=matching)
    assert resp.status_code == 404  # read, parsed and validated: only the request is unknown
    receipt["export"] = {"rows": "x" * (8 * MIB)}
    resp = await client.post(path, json=receipt, headers=matching)
    assert resp.status_code == 413
    assert resp.json()["max_body_bytes"] == 8 * MIB


async def test_nul_in_graphql_variables_and_strings(client: httpx.AsyncClient, keys: TestKeys) -> None:
    query = "query($k: String!) { purpose(key: $k) { key } }"
    headers = keys.headers("consent:read")
    resp = await client.post(
        "/graphql", json={"query": query, "variables": {"k": "a\u0000"}}, headers=headers
    )
    assert_invalid(resp, pointer="#/variables/k", code="string_nul")
    literal = '{ purpose(key: "a\\u0000") { key } }'
    assert_invalid(await client.post("/graphql", json={"query": literal}, headers=headers), pointer="#/query")
    resp = await client.post(
        "/graphql", json={"query": query, "variables": {"k": "matching"}}, headers=headers
    )
    assert resp.json() == {"data": {"purpose": {"key": "matching"}}}
