from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
from fastapi import FastAPI

from tandem_kit.auth import Principal
from tandem_kit.testing import TestKeys, sessionmaker_of
from tandem_scheduling.attendance import service as attendance
from tandem_scheduling.attendance.schemas import AttendanceMarkCreate

RW = ("scheduling:read", "scheduling:write")


def url(engagement_id: UUID) -> str:
    return f"/api/v1/scheduling/engagements/{engagement_id}"


async def test_anonymous(client: httpx.AsyncClient, make_engagement: Any) -> None:
    engagement = await make_engagement()
    assert (await client.get(f"{url(engagement.id)}/cadence")).status_code == 401


async def test_someone_elses_engagement_is_not_found(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any
) -> None:
    engagement = await make_engagement()
    other = str(uuid4())
    resp = await client.get(
        f"{url(engagement.id)}/cadence", headers=keys.headers("scheduling:read", sub=other, person_id=other)
    )
    assert resp.status_code == 404


async def test_planned_booked_held_and_a_marked_checkpoint(
    app: FastAPI, client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, monday: datetime
) -> None:
    engagement = await make_engagement(approved_at=(monday - timedelta(days=2)).isoformat())
    booked = []
    for days, kind in ((0, "kickoff"), (7, "regular"), (14, "regular")):
        resp = await client.post(
            f"{url(engagement.id)}/sessions",
            json={"starts_at": (monday + timedelta(days=days)).isoformat(), "kind": kind},
            headers=keys.headers("scheduling:write"),
        )
        assert resp.status_code == 201
        booked.append(UUID(resp.json()["id"]))
    cadence = (
        await client.get(f"{url(engagement.id)}/cadence", headers=keys.headers("scheduling:read"))
    ).json()
    checkpoint = cadence["checkpoints"][0]
    marked = await client.put(
        f"{url(engagement.id)}/checkpoints/{checkpoint['id']}/session",
        json={"session_id": str(booked[2])},
        headers=keys.headers(*RW),
    )
    assert marked.status_code == 200
    manager = Principal(
        subject="pm",
        client_id="front-end",
        scopes=frozenset(RW),
        token_id="t",
        claims={"person_id": str(uuid4()), "roles": ["program_manager"]},
    )
    async with sessionmaker_of(app)() as session:
        for session_id, days in ((booked[0], 0), (booked[2], 14)):
            await attendance.record(
                session,
                manager,
                session_id,
                AttendanceMarkCreate(outcome="attended"),
                policy=attendance.AttendancePolicy(),
                now=monday + timedelta(days=days, hours=1),
            )
        await session.commit()
    after = (
        await client.get(f"{url(engagement.id)}/cadence", headers=keys.headers("scheduling:read"))
    ).json()
    assert {
        k: after[k] for k in ("layer", "planned_sessions_low", "planned_sessions_high", "booked", "held")
    } == {
        "layer": "coaching",
        "planned_sessions_low": 8,
        "planned_sessions_high": 12,
        "booked": 3,
        "held": 2,
    }
    first = after["checkpoints"][0]
    assert (first["session_id"], first["held_at"]) == (
        str(booked[2]),
        (monday + timedelta(days=14)).isoformat().replace("+00:00", "Z"),
    )
    again = await client.put(
        f"{url(engagement.id)}/checkpoints/{checkpoint['id']}/session",
        json={"session_id": str(booked[1])},
        headers=keys.headers(*RW),
    )
    assert again.status_code == 409
