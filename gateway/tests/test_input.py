"""NUL characters and huge offsets are refused with 4xx naming the field, never a 500."""

import base64

import httpx
import pytest
from fastapi import FastAPI

from tandem_gateway.testing import bearer
from tandem_kit.testing import unguarded_inputs

from .conftest import TokenFactory

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def test_every_text_and_integer_input_is_bounded(app: FastAPI) -> None:
    assert unguarded_inputs(app) == []


async def test_nul_in_a_client_id_path_segment(client: httpx.AsyncClient, token_for: TokenFactory) -> None:
    resp = await client.get("/api/v1/admin/clients/tc%00x", headers=bearer(await token_for("admin")))
    assert resp.status_code == 422
    assert resp.headers["content-type"] == "application/problem+json"
    assert resp.json()["errors"][0] | {"detail": ""} == {
        "detail": "",
        "code": "string_nul",
        "parameter": "client_id",
        "in": "path",
    }


async def test_nul_in_a_client_name(client: httpx.AsyncClient, token_for: TokenFactory) -> None:
    resp = await client.post(
        "/api/v1/admin/clients",
        json={"name": "front\u0000end", "scopes": ["consent:read"]},
        headers=bearer(await token_for("admin")),
    )
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["pointer"] == "#/name"


async def test_offset_past_bigint(client: httpx.AsyncClient, token_for: TokenFactory) -> None:
    resp = await client.get(
        "/api/v1/admin/clients", params={"offset": 2**63}, headers=bearer(await token_for("admin"))
    )
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["parameter"] == "offset"


@pytest.mark.parametrize("path", ["/oauth/token", "/oauth/revoke", "/oauth/introspect"])
@pytest.mark.parametrize(
    "form", ["client_id=tc%00&client_secret=x", "client_id=tc&client_secret=x&token=a%00"]
)
async def test_nul_in_an_oauth_form(client: httpx.AsyncClient, path: str, form: str) -> None:
    resp = await client.post(path, content=f"grant_type=client_credentials&{form}", headers=FORM)
    assert resp.status_code == 400
    assert resp.json()["error"] == "invalid_request"
    assert "must not contain NUL" in resp.json()["error_description"]


async def test_nul_in_basic_credentials(client: httpx.AsyncClient) -> None:
    basic = base64.b64encode(b"tc\x00x:secret").decode()
    resp = await client.post(
        "/oauth/token",
        content="grant_type=client_credentials",
        headers={**FORM, "Authorization": f"Basic {basic}"},
    )
    assert resp.status_code == 401
    assert resp.json()["error"] == "invalid_client"


async def test_nul_in_federated_graphql(client: httpx.AsyncClient, token_for: TokenFactory) -> None:
    headers = bearer(await token_for("consent:read"))
    query = "query($k: String!) { purpose(key: $k) { key } }"
    posted = await client.post(
        "/graphql", json={"query": query, "variables": {"k": "\u0000"}}, headers=headers
    )
    assert posted.status_code == 422
    assert posted.json()["errors"][0]["pointer"] == "#/variables/k"
    got = await client.get(
        "/graphql", params={"query": '{ purpose(key: "\\u0000") { key } }'}, headers=headers
    )
    assert got.status_code == 422
    assert got.json()["errors"][0]["parameter"] == "query"
