import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from tandem_kit.testing import Infra, TestKeys

BASE = "/api/v1/scheduling/engagements"
WRITE = ("scheduling:read", "scheduling:write")


def sessions_url(engagement: Any) -> str:
    return f"{BASE}/{engagement.id}/sessions"


async def book(
    client: httpx.AsyncClient, keys: TestKeys, engagement: Any, at: datetime, **body: Any
) -> httpx.Response:
    return await client.post(
        sessions_url(engagement), json={"starts_at": at.isoformat(), **body}, headers=keys.headers(*WRITE)
    )


async def test_anonymous(client: httpx.AsyncClient, make_engagement: Any, monday: datetime) -> None:
    engagement = await make_engagement()
    resp = await client.post(sessions_url(engagement), json={"starts_at": monday.isoformat()})
    assert resp.status_code == 401


async def test_missing_write_scope(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, monday: datetime
) -> None:
    engagement = await make_engagement()
    resp = await client.post(
        sessions_url(engagement),
        json={"starts_at": monday.isoformat()},
        headers=keys.headers("scheduling:read"),
    )
    assert resp.status_code == 403
    assert resp.json()["missing_scopes"] == ["scheduling:write"]


async def test_other_person_not_found(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, monday: datetime
) -> None:
    engagement = await make_engagement()
    stranger = keys.headers(*WRITE, person_id=str(uuid.uuid4()), roles=["coach"])
    resp = await client.post(
        sessions_url(engagement), json={"starts_at": monday.isoformat()}, headers=stranger
    )
    assert resp.status_code == 404
    listed = await client.get(sessions_url(engagement), headers=stranger)
    assert listed.status_code == 404


async def test_book_kickoff_emits_and_leaves_the_kickoff_sla_open(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, monday: datetime, outbox: Any
) -> None:
    engagement = await make_engagement()
    participant = keys.headers(*WRITE, person_id=str(engagement.participant_id), roles=["participant"])
    resp = await client.post(
        sessions_url(engagement),
        json={"starts_at": monday.isoformat(), "kind": "kickoff"},
        headers=participant,
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert (body["kind"], body["status"]) == ("kickoff", "booked")
    assert datetime.fromisoformat(body["ends_at"]) - datetime.fromisoformat(body["starts_at"]) == timedelta(
        minutes=60
    )
    clocks = (await client.get(f"{BASE}/{engagement.id}/sla-clocks", headers=participant)).json()
    # Booked is not held: the kickoff promise is kept when the kickoff is recorded attended.
    assert [c["met_at"] for c in clocks if c["kind"] == "kickoff_held"] == [None]
    assert (
        await outbox(
            "SessionBooked",
            session_id=body["id"],
            kind="kickoff",
            participant_id=str(engagement.participant_id),
            provider_person_id=str(engagement.provider_person_id),
        )
        == 1
    )
    listed = await client.get(sessions_url(engagement), headers=participant)
    assert [s["id"] for s in listed.json()["items"]] == [body["id"]]


async def test_regular_session_uses_engagement_length(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, monday: datetime
) -> None:
    engagement = await make_engagement(track="mentor_plus_coaching")
    resp = await book(client, keys, engagement, monday)
    assert resp.status_code == 201
    assert resp.json()["ends_at"] == (monday + timedelta(minutes=45)).isoformat().replace("+00:00", "Z")


async def test_overlap_for_the_provider_in_another_engagement_is_409(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, monday: datetime
) -> None:
    first = await make_engagement()
    second = await make_engagement(provider_person_id=str(first.provider_person_id))
    assert (await book(client, keys, first, monday, duration_minutes=60)).status_code == 201
    resp = await book(client, keys, second, monday + timedelta(minutes=30), duration_minutes=60)
    assert resp.status_code == 409
    assert resp.json()["type"].endswith("slot-taken")
    assert resp.json()["pointer"] == "#/starts_at"


async def test_back_to_back_is_allowed(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, monday: datetime
) -> None:
    engagement = await make_engagement()
    assert (await book(client, keys, engagement, monday, duration_minutes=60)).status_code == 201
    resp = await book(client, keys, engagement, monday + timedelta(minutes=60), duration_minutes=60)
    assert resp.status_code == 201


async def test_outside_working_hours_is_422(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, monday: datetime
) -> None:
    engagement = await make_engagement()
    # 16:30 UTC is 11:30 in New York but 17:30 in Berlin.
    resp = await book(client, keys, engagement, monday + timedelta(hours=2, minutes=30), duration_minutes=30)
    assert resp.status_code == 422
    body = resp.json()
    assert (body["pointer"], body["role"]) == ("#/starts_at", "provider")
    assert "Europe/Berlin" in body["detail"]


async def test_past_and_naive_times_are_422(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any
) -> None:
    engagement = await make_engagement()
    past = await client.post(
        sessions_url(engagement), json={"starts_at": "2020-01-06T14:00:00Z"}, headers=keys.headers(*WRITE)
    )
    assert past.status_code == 422
    assert past.json()["pointer"] == "#/starts_at"
    naive = await client.post(
        sessions_url(engagement), json={"starts_at": "2030-01-07T14:00:00"}, headers=keys.headers(*WRITE)
    )
    assert naive.status_code == 422
    assert naive.json()["errors"][0]["pointer"] == "#/starts_at"


async def test_second_kickoff_is_409(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, monday: datetime
) -> None:
    engagement = await make_engagement()
    assert (await book(client, keys, engagement, monday, kind="kickoff")).status_code == 201
    resp = await book(client, keys, engagement, monday + timedelta(days=1), kind="kickoff")
    assert resp.status_code == 409
    assert resp.json()["type"].endswith("kickoff-already-booked")


async def test_cancel_frees_the_time_and_reopens_kickoff(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, monday: datetime, outbox: Any
) -> None:
    engagement = await make_engagement()
    booked = (await book(client, keys, engagement, monday, kind="kickoff")).json()
    resp = await client.post(
        f"{sessions_url(engagement)}/{booked['id']}/cancel",
        json={"reason": "coach unwell"},
        headers=keys.headers(*WRITE),
    )
    assert resp.status_code == 200
    assert (resp.json()["status"], resp.json()["cancel_reason"]) == ("cancelled", "coach unwell")
    assert await outbox("SessionCancelled", session_id=booked["id"], reason_code="requested") == 1
    # The free text stays in scheduling's row; the event carries the code only.
    assert await outbox("SessionCancelled", session_id=booked["id"], reason="coach unwell") == 0
    clocks = (await client.get(f"{BASE}/{engagement.id}/sla-clocks", headers=keys.headers(*WRITE))).json()
    assert clocks[0]["met_at"] is None
    again = await book(client, keys, engagement, monday, kind="kickoff")
    assert again.status_code == 201
    twice = await client.post(
        f"{sessions_url(engagement)}/{booked['id']}/cancel",
        json={"reason": "x"},
        headers=keys.headers(*WRITE),
    )
    assert twice.status_code == 409


async def test_cancel_unknown_session_is_404(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any
) -> None:
    engagement = await make_engagement()
    resp = await client.post(
        f"{sessions_url(engagement)}/{uuid.uuid4()}/cancel",
        json={"reason": "x"},
        headers=keys.headers(*WRITE),
    )
    assert resp.status_code == 404
    assert resp.json()["type"].endswith("session-not-found")


async def test_ics_export(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, monday: datetime
) -> None:
    engagement = await make_engagement()
    booked = (await book(client, keys, engagement, monday, kind="kickoff")).json()
    resp = await client.get(f"{BASE}/{engagement.id}/sessions.ics", headers=keys.headers("scheduling:read"))
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "text/calendar; charset=utf-8"
    lines = resp.text.split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR"
    assert f"UID:{booked['id']}@tandem" in lines
    assert f"DTSTART:{monday.strftime('%Y%m%dT%H%M%SZ')}" in lines
    assert "STATUS:CONFIRMED" in lines
    assert lines[-2:] == ["END:VCALENDAR", ""]
    assert all(len(line.encode()) <= 75 for line in lines)


async def test_cancel_by_other_person_not_found(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, monday: datetime
) -> None:
    engagement = await make_engagement()
    booked = (await book(client, keys, engagement, monday)).json()
    stranger = keys.headers(*WRITE, person_id=str(uuid.uuid4()), roles=["participant"])
    resp = await client.post(
        f"{sessions_url(engagement)}/{booked['id']}/cancel", json={"reason": "x"}, headers=stranger
    )
    assert resp.status_code == 404
    still = await client.get(sessions_url(engagement), headers=keys.headers(*WRITE))
    assert [s["status"] for s in still.json()["items"]] == ["booked"]


async def test_ics_needs_a_token_and_a_party(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any
) -> None:
    engagement = await make_engagement()
    url = f"{BASE}/{engagement.id}/sessions.ics"
    assert (await client.get(url)).status_code == 401
    stranger = keys.headers("scheduling:read", person_id=str(uuid.uuid4()))
    assert (await client.get(url, headers=stranger)).status_code == 404


async def test_list_pages_walk_every_session(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, monday: datetime
) -> None:
    engagement = await make_engagement()
    other = await make_engagement()
    # Booked out of order, one cancelled: the list is by start, cancelled ones included.
    starts = [monday + timedelta(minutes=m) for m in (45, 0, 90, 15, 60)]
    ids = {}
    for at in starts:
        resp = await book(client, keys, engagement, at, duration_minutes=15)
        assert resp.status_code == 201, resp.text
        ids[at] = resp.json()["id"]
    assert (await book(client, keys, other, monday, duration_minutes=15)).status_code == 201
    cancelled = await client.post(
        f"{sessions_url(engagement)}/{ids[starts[2]]}/cancel",
        json={"reason": "x"},
        headers=keys.headers(*WRITE),
    )
    assert cancelled.status_code == 200
    expected = [ids[at] for at in sorted(starts)]
    participant = keys.headers(
        "scheduling:read", person_id=str(engagement.participant_id), roles=["participant"]
    )
    for limit in range(1, len(starts) + 2):
        seen: list[str] = []
        for offset in range(0, len(starts) + limit, limit):
            resp = await client.get(
                sessions_url(engagement), params={"limit": limit, "offset": offset}, headers=participant
            )
            assert resp.status_code == 200, resp.text
            body = resp.json()
            assert (body["total"], body["limit"], body["offset"]) == (len(starts), limit, offset)
            seen += [s["id"] for s in body["items"]]
        assert seen == expected, limit


async def test_list_total_is_the_engagements_own(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, monday: datetime
) -> None:
    engagement = await make_engagement()
    # The same coach in another engagement: their sessions there are not this engagement's.
    other = await make_engagement(provider_person_id=str(engagement.provider_person_id))
    assert (await book(client, keys, engagement, monday, duration_minutes=30)).status_code == 201
    for minutes in (30, 60):
        at = monday + timedelta(minutes=minutes)
        assert (await book(client, keys, other, at, duration_minutes=30)).status_code == 201
    coach = keys.headers("scheduling:read", person_id=str(engagement.provider_person_id), roles=["coach"])
    body = (await client.get(sessions_url(engagement), params={"limit": 1}, headers=coach)).json()
    assert (len(body["items"]), body["total"]) == (1, 1)
    assert (await client.get(sessions_url(other), headers=coach)).json()["total"] == 2
    stranger = keys.headers("scheduling:read", person_id=str(uuid.uuid4()), roles=["participant"])
    assert (await client.get(sessions_url(other), headers=stranger)).status_code == 404


@pytest.mark.parametrize(("params", "parameter"), [({"limit": 0}, "limit"), ({"limit": 501}, "limit")])
async def test_list_bad_page_is_422(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, params: dict[str, Any], parameter: str
) -> None:
    engagement = await make_engagement()
    resp = await client.get(sessions_url(engagement), params=params, headers=keys.headers("scheduling:read"))
    assert resp.status_code == 422
    assert resp.headers["content-type"] == "application/problem+json"
    assert [(e["parameter"], e["in"]) for e in resp.json()["errors"]] == [(parameter, "query")]


async def test_refused_double_booking_leaves_no_person_id_in_the_server_log(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, monday: datetime, infra: Infra
) -> None:
    first = await make_engagement()
    second = await make_engagement(provider_person_id=str(first.provider_person_id))
    assert (await book(client, keys, first, monday, duration_minutes=60)).status_code == 201
    logged = infra.postgres.log.stat().st_size

    resp = await book(client, keys, second, monday + timedelta(minutes=30), duration_minutes=60)

    assert resp.status_code == 409
    with infra.postgres.log.open(errors="replace") as log:
        log.seek(logged)
        written = log.read()
    # The refusal is logged (the constraint's name), the key it refused (person id, range) is not.
    assert "violates exclusion constraint" in written
    assert str(first.provider_person_id) not in written
