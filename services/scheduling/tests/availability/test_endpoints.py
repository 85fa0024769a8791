import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx

from tandem_kit.testing import TestKeys

BASE = "/api/v1/scheduling/engagements"


def window(monday: datetime) -> dict[str, str]:
    start = monday.replace(hour=0)
    return {"from": start.isoformat(), "to": (start + timedelta(days=1)).isoformat()}


async def test_missing_scope(client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any) -> None:
    engagement = await make_engagement()
    resp = await client.get(f"{BASE}/{engagement.id}/slots", headers=keys.headers("scheduling:write"))
    assert resp.status_code == 403


async def test_other_person_not_found(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any
) -> None:
    engagement = await make_engagement()
    stranger = keys.headers("scheduling:read", person_id=str(uuid.uuid4()))
    resp = await client.get(f"{BASE}/{engagement.id}/slots", headers=stranger)
    assert resp.status_code == 404


async def test_slots_inside_both_days(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, monday: datetime
) -> None:
    engagement = await make_engagement()
    resp = await client.get(
        f"{BASE}/{engagement.id}/slots", params=window(monday), headers=keys.headers("scheduling:read")
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["duration_minutes"] == 60
    got = [datetime.fromisoformat(s["starts_at"]) for s in body["slots"]]
    assert got == [monday, monday + timedelta(minutes=30), monday + timedelta(minutes=60)]


async def test_booked_time_is_not_proposed(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, monday: datetime
) -> None:
    engagement = await make_engagement()
    other = await make_engagement(participant_id=str(engagement.participant_id))
    booked = await client.post(
        f"{BASE}/{other.id}/sessions",
        json={"starts_at": monday.isoformat(), "duration_minutes": 30},
        headers=keys.headers("scheduling:write"),
    )
    assert booked.status_code == 201
    resp = await client.get(
        f"{BASE}/{engagement.id}/slots",
        params={**window(monday), "duration": 30},
        headers=keys.headers("scheduling:read"),
    )
    got = [datetime.fromisoformat(s["starts_at"]) for s in resp.json()["slots"]]
    assert got == [monday + timedelta(minutes=m) for m in (30, 60, 90)]


async def test_default_window_ends_at_kickoff_due(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any
) -> None:
    engagement = await make_engagement()
    resp = await client.get(f"{BASE}/{engagement.id}/slots", headers=keys.headers("scheduling:read"))
    assert resp.status_code == 200
    assert datetime.fromisoformat(resp.json()["window_end"]) == engagement.approved_at + timedelta(days=7)


async def test_too_wide_window_is_422(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, monday: datetime
) -> None:
    engagement = await make_engagement()
    params = {"from": monday.isoformat(), "to": (monday + timedelta(days=90)).isoformat()}
    resp = await client.get(
        f"{BASE}/{engagement.id}/slots", params=params, headers=keys.headers("scheduling:read")
    )
    assert resp.status_code == 422
    assert resp.json()["parameter"] == "to"


async def test_duration_not_on_the_grid_is_422(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, monday: datetime
) -> None:
    engagement = await make_engagement()
    resp = await client.get(
        f"{BASE}/{engagement.id}/slots",
        params={**window(monday), "duration": 50},
        headers=keys.headers("scheduling:read"),
    )
    assert resp.status_code == 422
    assert resp.json()["parameter"] == "duration"
