from typing import Any
from uuid import uuid4

import httpx

from tandem_kit.testing import TestKeys

from .conftest import MakeEscalation, pm_headers

BASE = "/api/v1/scheduling/escalations"
RW = ("scheduling:read", "scheduling:write")


async def test_anonymous(client: httpx.AsyncClient) -> None:
    assert (await client.get(BASE)).status_code == 401


async def test_missing_scope(
    client: httpx.AsyncClient, keys: TestKeys, make_escalation: MakeEscalation
) -> None:
    escalation = await make_escalation()
    resp = await client.post(f"{BASE}/{escalation.id}/acknowledge", headers=keys.headers("scheduling:read"))
    assert resp.status_code == 403


async def test_a_participant_sees_no_queue_and_finds_no_escalation(
    client: httpx.AsyncClient, keys: TestKeys, make_escalation: MakeEscalation
) -> None:
    escalation = await make_escalation()
    someone = str(escalation.engagement_id)  # any person id that is not the assignee
    headers = keys.headers(*RW, sub=someone, person_id=someone)
    listed = await client.get(BASE, params={"program_id": str(escalation.program_id)}, headers=headers)
    assert listed.json()["total"] == 0
    resp = await client.post(f"{BASE}/{escalation.id}/resolve", json={"note": "done"}, headers=headers)
    assert resp.status_code == 404
    assert resp.json()["type"].endswith("escalation-not-found")


async def test_the_assignee_acknowledges_but_may_not_reassign(
    client: httpx.AsyncClient, keys: TestKeys, make_escalation: MakeEscalation
) -> None:
    escalation = await make_escalation()
    owner = uuid4()
    pm = pm_headers(keys, uuid4(), *RW)
    await client.post(f"{BASE}/{escalation.id}/assign", json={"assignee_id": str(owner)}, headers=pm)
    mine = keys.headers(*RW, sub=str(owner), person_id=str(owner))
    assert (await client.get(f"{BASE}/{escalation.id}", headers=mine)).json()["assignee_id"] == str(owner)
    refused = await client.post(
        f"{BASE}/{escalation.id}/assign", json={"assignee_id": str(uuid4())}, headers=mine
    )
    assert refused.status_code == 403
    assert refused.json()["type"].endswith("escalation-forbidden")
    first = await client.post(f"{BASE}/{escalation.id}/acknowledge", headers=mine)
    again = await client.post(f"{BASE}/{escalation.id}/acknowledge", headers=mine)
    assert first.json()["acknowledged_at"] == again.json()["acknowledged_at"]
    assert again.json()["status"] == "acknowledged"


async def test_filters_by_layer_status_age_and_assignee(
    client: httpx.AsyncClient, keys: TestKeys, make_escalation: MakeEscalation
) -> None:
    program = uuid4()
    old = await make_escalation(overdue_days=10, program_id=str(program))
    fresh = await make_escalation(overdue_days=1, program_id=str(program))
    mentoring = await make_escalation(
        overdue_days=5, program_id=str(program), provider_kind="mentor", track="mentor"
    )
    pm = pm_headers(keys, uuid4(), *RW)
    owner = uuid4()
    await client.post(f"{BASE}/{fresh.id}/assign", json={"assignee_id": str(owner)}, headers=pm)

    async def ids(**params: Any) -> list[str]:
        resp = await client.get(BASE, params={"program_id": str(program), **params}, headers=pm)
        assert resp.status_code == 200, resp.text
        return [item["id"] for item in resp.json()["items"]]

    assert await ids() == [str(old.id), str(mentoring.id), str(fresh.id)]
    assert await ids(layer="mentoring") == [str(mentoring.id)]
    assert await ids(older_than_days=3) == [str(old.id), str(mentoring.id)]
    assert await ids(assignee_id=str(owner)) == [str(fresh.id)]
    assert await ids(status="open", limit=1, offset=1) == [str(mentoring.id)]
    bad = await client.get(BASE, params={"older_than_days": -1}, headers=pm)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["parameter"] == "older_than_days"


async def test_resolve_needs_a_note(
    client: httpx.AsyncClient, keys: TestKeys, make_escalation: MakeEscalation
) -> None:
    escalation = await make_escalation()
    pm = pm_headers(keys, uuid4(), *RW)
    blank = await client.post(f"{BASE}/{escalation.id}/resolve", json={"note": "   "}, headers=pm)
    assert blank.status_code == 422
    assert blank.json()["errors"][0]["pointer"] == "#/note"
