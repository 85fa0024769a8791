"""Business-KPI import per program: JSON and CSV, replaced by key, errors naming row and column."""

import uuid
from typing import Any

import httpx

from tandem_kit.testing import TestKeys

CSV = "text/csv"


def url(program: uuid.UUID) -> str:
    return f"/api/v1/analytics/programs/{program}/business-kpis"


async def listed(client: httpx.AsyncClient, keys: TestKeys, program: uuid.UUID) -> list[tuple[Any, ...]]:
    resp = await client.get(url(program), headers=keys.headers("analytics:read"))
    assert resp.status_code == 200, resp.text
    return [
        (v["kpi_name"], v["period"], v["segment_kind"], v["segment"], v["value"])
        for v in resp.json()["items"]
    ]


async def test_anonymous(client: httpx.AsyncClient) -> None:
    resp = await client.post(url(uuid.uuid4()), json={"rows": []})
    assert resp.status_code == 401


async def test_missing_scope(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.post(
        url(uuid.uuid4()),
        json={"rows": [{"kpi_name": "csat", "period": "2026-Q4", "value": 72}]},
        headers=keys.headers("analytics:read"),
    )
    assert resp.status_code == 403
    assert resp.json()["missing_scopes"] == ["analytics:write"]


async def test_json_import_then_reimport_replaces_by_key(client: httpx.AsyncClient, keys: TestKeys) -> None:
    program = uuid.uuid4()
    first = {
        "rows": [
            {"kpi_name": "csat", "period": "2026-Q3", "value": 72},
            {"kpi_name": "csat", "period": "2026-Q3", "cohort": "c1", "value": 70.5},
            {"kpi_name": "csat", "period": "2026-Q3", "region": "EMEA", "value": 71},
        ]
    }
    again = {
        "rows": [
            {"kpi_name": "csat", "period": "2026-Q3", "value": 73},
            {"kpi_name": "csat", "period": "2026-10", "value": 74},
        ]
    }
    write = keys.headers("analytics:write")

    created = await client.post(url(program), json=first, headers=write)
    replaced = await client.post(url(program), json=again, headers=write)

    assert created.json() == {"program_id": str(program), "created": 3, "replaced": 0}
    assert replaced.json() == {"program_id": str(program), "created": 1, "replaced": 1}
    assert await listed(client, keys, program) == [
        ("csat", "2026-10", "program", "", 74.0),
        ("csat", "2026-Q3", "cohort", "c1", 70.5),
        ("csat", "2026-Q3", "program", "", 73.0),
        ("csat", "2026-Q3", "region", "EMEA", 71.0),
    ]


async def test_csv_import(client: httpx.AsyncClient, keys: TestKeys) -> None:
    program = uuid.uuid4()
    body = "kpi_name,period,cohort,region,value\ncsat,2026-Q4,,,78\nquota_attainment,2026-11,,NA,0.91\n"
    resp = await client.post(
        url(program), content=body.encode(), headers=keys.headers("analytics:write") | {"content-type": CSV}
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["created"] == 2
    assert await listed(client, keys, program) == [
        ("csat", "2026-Q4", "program", "", 78.0),
        ("quota_attainment", "2026-11", "region", "NA", 0.91),
    ]


async def test_json_errors_name_row_and_column(client: httpx.AsyncClient, keys: TestKeys) -> None:
    rows = [
        {"kpi_name": "csat", "period": "2026-Q4", "value": 72},
        {"kpi_name": "csat", "period": "2026-Q5", "value": 72},
        {"kpi_name": "csat", "period": "2026-Q4", "value": "high"},
        {"kpi_name": "csat", "period": "2026-Q4", "cohort": "c1", "region": "EMEA", "value": 1},
        {"kpi_name": "csat", "period": "2026-Q4", "value": 72, "comment": "great quarter"},
    ]
    program = uuid.uuid4()
    resp = await client.post(url(program), json={"rows": rows}, headers=keys.headers("analytics:write"))
    assert resp.status_code == 422
    assert resp.headers["content-type"] == "application/problem+json"
    assert [e["pointer"] for e in resp.json()["errors"]] == [
        "#/rows/1/period",
        "#/rows/2/value",
        "#/rows/3",
        "#/rows/4/comment",
    ]
    assert await listed(client, keys, program) == []


async def test_duplicate_key_in_one_import_names_the_later_row(
    client: httpx.AsyncClient, keys: TestKeys
) -> None:
    rows = [
        {"kpi_name": "csat", "period": "2026-Q4", "region": "EMEA", "value": 72},
        {"kpi_name": "csat", "period": "2026-Q4", "value": 70},
        {"kpi_name": "csat", "period": "2026-Q4", "region": "EMEA", "value": 75},
    ]
    resp = await client.post(url(uuid.uuid4()), json={"rows": rows}, headers=keys.headers("analytics:write"))
    assert resp.status_code == 422
    [error] = resp.json()["errors"]
    assert (error["pointer"], error["detail"]) == ("#/rows/2", "same kpi_name, period and segment as row 0")


async def test_csv_errors_name_the_line_and_column(client: httpx.AsyncClient, keys: TestKeys) -> None:
    body = "kpi_name,period,cohort,region,value\ncsat,2026-Q4,,,78\ncsat,2026-Q1,,,\ncsat,Q4-2026,,,3\n"
    resp = await client.post(
        url(uuid.uuid4()),
        content=body.encode(),
        headers=keys.headers("analytics:write") | {"content-type": CSV},
    )
    assert resp.status_code == 422
    errors = [(e["pointer"], e["detail"].split(":")[0]) for e in resp.json()["errors"]]
    assert errors == [
        ("#/rows/1/value", "line 3, column value"),
        ("#/rows/2/period", "line 4, column period"),
    ]


async def test_csv_unknown_column_refused(client: httpx.AsyncClient, keys: TestKeys) -> None:
    body = "kpi_name,period,value,notes\ncsat,2026-Q4,78,fine\n"
    resp = await client.post(
        url(uuid.uuid4()),
        content=body.encode(),
        headers=keys.headers("analytics:write") | {"content-type": CSV},
    )
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["detail"].startswith("line 1: unknown column(s) notes")


async def test_other_media_type_refused(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.post(
        url(uuid.uuid4()),
        content=b"<rows/>",
        headers=keys.headers("analytics:write") | {"content-type": "application/xml"},
    )
    assert resp.status_code == 415
    assert resp.json()["type"].endswith("/unsupported-media-type")


IMPORT = """
mutation ($program: ID!, $rows: [BusinessKpiRowInput!]!) {
  importBusinessKpis(programId: $program, rows: $rows) { programId created replaced }
}
"""


async def test_graphql_import_same_rules(client: httpx.AsyncClient, keys: TestKeys) -> None:
    program = uuid.uuid4()
    rows = [{"kpiName": "csat", "period": "2026-Q4", "value": 76.0, "cohort": "c2"}]

    ok = await client.post(
        "/graphql",
        json={"query": IMPORT, "variables": {"program": str(program), "rows": rows}},
        headers=keys.headers("analytics:read", "analytics:write"),
    )
    bad = await client.post(
        "/graphql",
        json={
            "query": IMPORT,
            "variables": {"program": str(program), "rows": [{**rows[0], "period": "2026-13"}]},
        },
        headers=keys.headers("analytics:read", "analytics:write"),
    )
    denied = await client.post(
        "/graphql",
        json={"query": IMPORT, "variables": {"program": str(program), "rows": rows}},
        headers=keys.headers("analytics:read"),
    )

    assert ok.json()["data"]["importBusinessKpis"] == {"programId": str(program), "created": 1, "replaced": 0}
    [error] = bad.json()["errors"]
    assert error["extensions"]["status"] == 422
    assert [e["pointer"] for e in error["extensions"]["errors"]] == ["#/rows/0/period"]
    assert denied.json()["errors"][0]["extensions"]["status"] == 403
    assert await listed(client, keys, program) == [("csat", "2026-Q4", "cohort", "c2", 76.0)]
