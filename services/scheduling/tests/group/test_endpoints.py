"""Group sessions over REST: who may create and see what, seats, the waitlist, no double booking
across one-to-one and group sessions, cancellation. Each test runs in one rolled-back transaction."""

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import httpx

from tandem_kit.testing import TestKeys

API = "/api/v1/scheduling"
GROUPS = f"{API}/group-sessions"
WRITE = ("scheduling:read", "scheduling:write")
Outbox = Callable[..., Awaitable[int]]


def manager(keys: TestKeys) -> dict[str, str]:
    return keys.headers(*WRITE, person_id=str(uuid.uuid4()), roles=["program_manager"])


def person(keys: TestKeys, person_id: uuid.UUID | str, *, role: str = "participant") -> dict[str, str]:
    return keys.headers(*WRITE, person_id=str(person_id), roles=[role])


def group_body(at: datetime, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "program_id": str(uuid.uuid4()),
        "kind": "peer_cohort",
        "title": "AI governance peer cohort",
        "starts_at": at.isoformat(),
        "ends_at": (at + timedelta(minutes=60)).isoformat(),
        "timezone": "Europe/Berlin",
        "seat_limit": 2,
    }
    body.update(overrides)
    return body


async def create(client: httpx.AsyncClient, keys: TestKeys, at: datetime, **overrides: Any) -> dict[str, Any]:
    resp = await client.post(GROUPS, json=group_body(at, **overrides), headers=manager(keys))
    assert resp.status_code == 201, resp.text
    created: dict[str, Any] = resp.json()
    return created


async def book_kickoff(client: httpx.AsyncClient, keys: TestKeys, engagement: Any, at: datetime) -> None:
    """A one-to-one kickoff at `at`: the participant's time is held."""
    resp = await client.post(
        f"{API}/engagements/{engagement.id}/sessions",
        json={"starts_at": at.isoformat(), "kind": "kickoff"},
        headers=keys.headers(*WRITE),
    )
    assert resp.status_code == 201, resp.text


async def seat(
    client: httpx.AsyncClient, keys: TestKeys, group: dict[str, Any], who: uuid.UUID
) -> httpx.Response:
    return await client.post(f"{GROUPS}/{group['id']}/seats", json={}, headers=person(keys, who))


async def test_anonymous(client: httpx.AsyncClient, monday: datetime) -> None:
    assert (await client.post(GROUPS, json=group_body(monday))).status_code == 401
    assert (await client.get(GROUPS)).status_code == 401


async def test_missing_write_scope(client: httpx.AsyncClient, keys: TestKeys, monday: datetime) -> None:
    resp = await client.post(GROUPS, json=group_body(monday), headers=keys.headers("scheduling:read"))
    assert resp.status_code == 403
    assert resp.json()["missing_scopes"] == ["scheduling:write"]


async def test_unknown_group_session_not_found(client: httpx.AsyncClient, keys: TestKeys) -> None:
    resp = await client.post(f"{GROUPS}/{uuid.uuid4()}/seats", json={}, headers=person(keys, uuid.uuid4()))
    assert resp.status_code == 404
    assert resp.json()["type"].endswith("/group-session-not-found")


async def test_manager_creates_and_anyone_reads(
    client: httpx.AsyncClient, keys: TestKeys, monday: datetime
) -> None:
    group = await create(client, keys, monday, seat_limit=12)
    assert (group["kind"], group["seat_limit"], group["seats_taken"], group["waitlist_length"]) == (
        "peer_cohort",
        12,
        0,
        0,
    )
    assert (group["status"], group["seats"], group["waitlist"], group["my_booking"]) == (
        "scheduled",
        [],
        [],
        None,
    )
    seen = await client.get(f"{GROUPS}/{group['id']}", headers=person(keys, uuid.uuid4()))
    assert seen.status_code == 200
    assert (seen.json()["title"], seen.json()["seats"]) == ("AI governance peer cohort", None)


async def test_a_coach_creates_own_office_hours_only(
    client: httpx.AsyncClient, keys: TestKeys, monday: datetime
) -> None:
    coach = uuid.uuid4()
    own = await client.post(
        GROUPS, json=group_body(monday, kind="office_hours"), headers=person(keys, coach, role="coach")
    )
    assert own.status_code == 201, own.text
    assert own.json()["host_person_id"] == str(coach)
    cohort = await client.post(GROUPS, json=group_body(monday), headers=person(keys, coach, role="coach"))
    assert cohort.status_code == 403
    assert cohort.json()["type"].endswith("/group-session-forbidden")
    other = await client.post(
        GROUPS,
        json=group_body(monday, kind="office_hours", host_person_id=str(uuid.uuid4())),
        headers=person(keys, coach, role="coach"),
    )
    assert other.status_code == 403


async def test_office_hours_need_a_host(client: httpx.AsyncClient, keys: TestKeys, monday: datetime) -> None:
    resp = await client.post(GROUPS, json=group_body(monday, kind="office_hours"), headers=manager(keys))
    assert resp.status_code == 422
    assert resp.json()["pointer"] == "#/host_person_id"


async def test_seat_limit_and_times_are_checked(
    client: httpx.AsyncClient, keys: TestKeys, monday: datetime
) -> None:
    too_many = await client.post(GROUPS, json=group_body(monday, seat_limit=501), headers=manager(keys))
    assert too_many.status_code == 422
    assert too_many.json()["errors"][0]["pointer"] == "#/seat_limit"
    backwards = await client.post(
        GROUPS, json=group_body(monday, ends_at=monday.isoformat()), headers=manager(keys)
    )
    assert backwards.status_code == 422
    bad_zone = await client.post(
        GROUPS, json=group_body(monday, timezone="Mars/Olympus"), headers=manager(keys)
    )
    assert bad_zone.json()["errors"][0]["pointer"] == "#/timezone"


async def test_the_same_seat_request_twice_changes_nothing(
    client: httpx.AsyncClient, keys: TestKeys, monday: datetime, outbox: Outbox
) -> None:
    group = await create(client, keys, monday)
    alice = uuid.uuid4()
    first = await seat(client, keys, group, alice)
    again = await seat(client, keys, group, alice)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    assert (first.json()["status"], first.json()["seat_no"], first.json()["from_waitlist"]) == (
        "booked",
        1,
        False,
    )
    assert await outbox("GroupSeatBooked", group_session_id=group["id"], person_id=str(alice)) == 1


async def test_full_means_waitlist_and_a_release_promotes_the_next(
    client: httpx.AsyncClient, keys: TestKeys, monday: datetime, outbox: Outbox
) -> None:
    group = await create(client, keys, monday)
    alice, bob, carol, dan = (uuid.uuid4() for _ in range(4))
    for who in (alice, bob):
        assert (await seat(client, keys, group, who)).json()["status"] == "booked"
    waiting = [(await seat(client, keys, group, who)).json() for who in (carol, dan)]
    assert [(w["status"], w["position"], w["seat_id"]) for w in waiting] == [
        ("waitlisted", 1, None),
        ("waitlisted", 2, None),
    ]
    released = await client.delete(f"{GROUPS}/{group['id']}/seats/{alice}", headers=person(keys, alice))
    assert released.status_code == 200, released.text
    assert released.json()["seat_no"] == 1
    view = (await client.get(f"{GROUPS}/{group['id']}", headers=manager(keys))).json()
    assert [(s["person_id"], s["seat_no"], s["from_waitlist"]) for s in view["seats"]] == [
        (str(carol), 1, True),
        (str(bob), 2, False),
    ]
    assert [(w["person_id"], w["position"]) for w in view["waitlist"]] == [(str(dan), 1)]
    assert (view["seats_taken"], view["waitlist_length"]) == (2, 1)
    assert await outbox("GroupSeatReleased", person_id=str(alice), reason_code="requested") == 1
    assert await outbox("GroupSeatBooked", person_id=str(carol), from_waitlist="true") == 1
    mine = (await client.get(f"{GROUPS}/{group['id']}", headers=person(keys, dan))).json()
    assert (mine["seats"], mine["my_booking"]["status"], mine["my_booking"]["position"]) == (
        None,
        "waitlisted",
        1,
    )
    again = await client.delete(f"{GROUPS}/{group['id']}/seats/{alice}", headers=person(keys, alice))
    assert again.status_code == 404


async def test_only_managers_book_or_release_for_others(
    client: httpx.AsyncClient, keys: TestKeys, monday: datetime
) -> None:
    group = await create(client, keys, monday)
    alice, bob = uuid.uuid4(), uuid.uuid4()
    refused = await client.post(
        f"{GROUPS}/{group['id']}/seats", json={"person_id": str(bob)}, headers=person(keys, alice)
    )
    assert refused.status_code == 403
    booked = await client.post(
        f"{GROUPS}/{group['id']}/seats", json={"person_id": str(bob)}, headers=manager(keys)
    )
    assert booked.status_code == 201
    assert (
        await client.delete(f"{GROUPS}/{group['id']}/seats/{bob}", headers=person(keys, alice))
    ).status_code == 403
    machine = keys.headers(*WRITE)
    assert (await client.delete(f"{GROUPS}/{group['id']}/seats/{bob}", headers=machine)).status_code == 200


async def test_a_seat_over_a_one_to_one_session_is_refused(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, monday: datetime
) -> None:
    engagement = await make_engagement()
    await book_kickoff(client, keys, engagement, monday)
    group = await create(client, keys, monday + timedelta(minutes=30))
    resp = await seat(client, keys, group, engagement.participant_id)
    assert resp.status_code == 409
    assert (resp.json()["type"].rsplit("/", 1)[1], resp.json()["rule"]) == (
        "person-double-booked",
        "person-double-booked",
    )


async def test_a_one_to_one_session_over_a_seat_is_refused(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, monday: datetime
) -> None:
    engagement = await make_engagement()
    group = await create(client, keys, monday - timedelta(minutes=30))
    assert (await seat(client, keys, group, engagement.participant_id)).status_code == 201
    resp = await client.post(
        f"{API}/engagements/{engagement.id}/sessions",
        json={"starts_at": monday.isoformat(), "kind": "kickoff"},
        headers=keys.headers(*WRITE),
    )
    assert resp.status_code == 409
    assert resp.json()["type"].endswith("/slot-taken")


async def test_office_hours_hold_the_hosts_time(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, monday: datetime
) -> None:
    engagement = await make_engagement()
    coach = engagement.provider_person_id
    hours = await client.post(
        GROUPS, json=group_body(monday, kind="office_hours"), headers=person(keys, coach, role="coach")
    )
    assert hours.status_code == 201
    clash = await client.post(
        GROUPS,
        json=group_body(monday + timedelta(minutes=30), kind="office_hours"),
        headers=person(keys, coach, role="coach"),
    )
    assert clash.status_code == 409
    assert clash.json()["pointer"] == "#/host_person_id"
    # The host sees who holds the seats of their own office hours.
    assert (await seat(client, keys, hours.json(), uuid.uuid4())).status_code == 201
    view = (
        await client.get(f"{GROUPS}/{hours.json()['id']}", headers=person(keys, coach, role="coach"))
    ).json()
    assert len(view["seats"]) == 1


async def test_promotion_skips_someone_whose_time_is_taken(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, monday: datetime, outbox: Outbox
) -> None:
    engagement = await make_engagement()
    busy, free, holder = engagement.participant_id, uuid.uuid4(), uuid.uuid4()
    group = await create(client, keys, monday - timedelta(minutes=30), seat_limit=1)
    assert (await seat(client, keys, group, holder)).status_code == 201
    assert (await seat(client, keys, group, busy)).json()["position"] == 1
    assert (await seat(client, keys, group, free)).json()["position"] == 2
    await book_kickoff(client, keys, engagement, monday)
    await client.delete(f"{GROUPS}/{group['id']}/seats/{holder}", headers=manager(keys))
    view = (await client.get(f"{GROUPS}/{group['id']}", headers=manager(keys))).json()
    assert [s["person_id"] for s in view["seats"]] == [str(free)]
    assert [(w["person_id"], w["position"]) for w in view["waitlist"]] == [(str(busy), 1)]
    assert await outbox("GroupSeatBooked", person_id=str(busy)) == 0


async def test_cancel_releases_every_seat(
    client: httpx.AsyncClient, keys: TestKeys, monday: datetime, outbox: Outbox
) -> None:
    group = await create(client, keys, monday, seat_limit=1)
    alice, bob = uuid.uuid4(), uuid.uuid4()
    await seat(client, keys, group, alice)
    await seat(client, keys, group, bob)
    path = f"{GROUPS}/{group['id']}/cancel"
    assert (
        await client.post(path, json={"reason": "Host ill."}, headers=person(keys, alice))
    ).status_code == 403
    resp = await client.post(path, json={"reason": "Host ill."}, headers=manager(keys))
    assert resp.status_code == 200, resp.text
    assert (resp.json()["status"], resp.json()["seats_taken"], resp.json()["waitlist_length"]) == (
        "cancelled",
        0,
        0,
    )
    assert await outbox("GroupSeatReleased", person_id=str(alice), reason_code="session_cancelled") == 1
    assert (await client.post(path, json={"reason": "again"}, headers=manager(keys))).status_code == 409
    late = await seat(client, keys, group, uuid.uuid4())
    assert late.json()["type"].endswith("/group-session-cancelled")


async def test_list_filters_by_program_and_time(
    client: httpx.AsyncClient, keys: TestKeys, monday: datetime
) -> None:
    program = str(uuid.uuid4())
    early = await create(client, keys, monday, program_id=program)
    late = await create(client, keys, monday + timedelta(days=1), program_id=program)
    await create(client, keys, monday)
    alice = uuid.uuid4()
    await seat(client, keys, late, alice)
    listed = await client.get(GROUPS, params={"program_id": program}, headers=person(keys, alice))
    assert [g["id"] for g in listed.json()["items"]] == [early["id"], late["id"]]
    assert [g["my_booking"] and g["my_booking"]["status"] for g in listed.json()["items"]] == [None, "booked"]
    window = await client.get(
        GROUPS,
        params={"program_id": program, "from": (monday + timedelta(hours=1)).isoformat(), "limit": 1},
        headers=manager(keys),
    )
    assert (window.json()["total"], [g["id"] for g in window.json()["items"]]) == (1, [late["id"]])


async def test_a_seat_is_busy_time_for_the_slot_search(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, monday: datetime
) -> None:
    engagement = await make_engagement()
    group = await create(client, keys, monday, seat_limit=3)
    assert (await seat(client, keys, group, engagement.participant_id)).status_code == 201
    start = monday.replace(hour=0)
    resp = await client.get(
        f"{API}/engagements/{engagement.id}/slots",
        params={"from": start.isoformat(), "to": (start + timedelta(days=1)).isoformat()},
        headers=keys.headers("scheduling:read"),
    )
    assert resp.status_code == 200, resp.text
    # Without the seat: 14:00, 14:30 and 15:00 (see the availability tests); the seat holds 14:00-15:00.
    assert [datetime.fromisoformat(s["starts_at"]) for s in resp.json()["slots"]] == [
        monday + timedelta(hours=1)
    ]


async def test_a_machine_client_names_the_person(
    client: httpx.AsyncClient, keys: TestKeys, monday: datetime
) -> None:
    group = await create(client, keys, monday)
    resp = await client.post(f"{GROUPS}/{group['id']}/seats", json={}, headers=keys.headers(*WRITE))
    assert resp.status_code == 422
    assert resp.json()["pointer"] == "#/person_id"


async def test_joining_the_waitlist_at_a_busy_time_is_refused_like_a_seat(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, monday: datetime
) -> None:
    engagement = await make_engagement()
    await book_kickoff(client, keys, engagement, monday)
    group = await create(client, keys, monday + timedelta(minutes=30), seat_limit=1)
    assert (await seat(client, keys, group, uuid.uuid4())).status_code == 201
    resp = await seat(client, keys, group, engagement.participant_id)
    assert resp.status_code == 409
    assert resp.headers["content-type"] == "application/problem+json"
    assert (resp.json()["type"].rsplit("/", 1)[1], resp.json()["rule"], resp.json()["pointer"]) == (
        "person-double-booked",
        "person-double-booked",
        "#/person_id",
    )
    view = (await client.get(f"{GROUPS}/{group['id']}", headers=manager(keys))).json()
    assert (view["waitlist_length"], view["waitlist"]) == (0, [])
    # Back-to-back is free time: the hour after the kickoff may wait for a seat.
    later = await create(client, keys, monday + timedelta(minutes=60), seat_limit=1)
    assert (await seat(client, keys, later, uuid.uuid4())).status_code == 201
    assert (await seat(client, keys, later, engagement.participant_id)).json()["position"] == 1
