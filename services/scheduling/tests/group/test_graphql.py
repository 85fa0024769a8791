"""Group sessions through `/graphql`: the same service calls, scopes and checks as REST; a refusal
carries the REST problem in the error's `extensions`."""

import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx

from tandem_kit.testing import TestKeys

WRITE = ("scheduling:read", "scheduling:write")

CREATE = """
mutation ($program: ID!, $startsAt: DateTime!, $endsAt: DateTime!, $seats: Int!, $host: ID) {
  createGroupSession(programId: $program, kind: "office_hours", title: "Ask me anything",
                     startsAt: $startsAt, endsAt: $endsAt, timezone: "America/New_York",
                     seatLimit: $seats, hostPersonId: $host) {
    id seatLimit seatsTaken waitlistLength status hostPersonId
  }
}
"""
BOOK = """
mutation ($group: ID!, $person: ID) {
  bookSeat(groupSessionId: $group, personId: $person) { status seatNo position fromWaitlist personId }
}
"""
RELEASE = """
mutation ($group: ID!, $person: ID!) { releaseSeat(groupSessionId: $group, personId: $person) { status seatNo } }
"""
CANCEL = 'mutation ($id: ID!) { cancelGroupSession(id: $id, reason: "Host ill.") { status seatsTaken } }'
ONE = """
query ($id: ID!) {
  groupSession(id: $id) {
    seatsTaken waitlistLength
    seats { personId seatNo fromWaitlist }
    waitlist { personId position }
    myBooking { status position }
  }
}
"""
LIST = """
query ($program: ID!) {
  groupSessions(programId: $program, limit: 10) { total limit offset items { id seatsTaken myBooking { status } } }
}
"""


async def gql(
    client: httpx.AsyncClient, headers: dict[str, str], query: str, **variables: Any
) -> dict[str, Any]:
    resp = await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


def manager(keys: TestKeys) -> dict[str, str]:
    return keys.headers(*WRITE, person_id=str(uuid.uuid4()), roles=["program_manager"])


def person(keys: TestKeys, who: uuid.UUID) -> dict[str, str]:
    return keys.headers(*WRITE, person_id=str(who), roles=["participant"])


async def office_hours(
    client: httpx.AsyncClient, keys: TestKeys, at: datetime, *, seats: int = 1, program: str | None = None
) -> dict[str, Any]:
    body = await gql(
        client,
        manager(keys),
        CREATE,
        program=program or str(uuid.uuid4()),
        startsAt=at.isoformat(),
        endsAt=(at + timedelta(minutes=30)).isoformat(),
        seats=seats,
        host=str(uuid.uuid4()),
    )
    created: dict[str, Any] = body["data"]["createGroupSession"]
    return created


async def test_book_wait_release_and_promote(
    client: httpx.AsyncClient, keys: TestKeys, monday: datetime
) -> None:
    program = str(uuid.uuid4())
    group = await office_hours(client, keys, monday, program=program)
    assert (group["seatLimit"], group["seatsTaken"], group["status"]) == (1, 0, "scheduled")
    alice, bob = uuid.uuid4(), uuid.uuid4()
    first = await gql(client, person(keys, alice), BOOK, group=group["id"])
    assert first["data"]["bookSeat"] == {
        "status": "booked",
        "seatNo": 1,
        "position": None,
        "fromWaitlist": False,
        "personId": str(alice),
    }
    second = await gql(client, person(keys, bob), BOOK, group=group["id"])
    assert (second["data"]["bookSeat"]["status"], second["data"]["bookSeat"]["position"]) == ("waitlisted", 1)

    as_bob = (await gql(client, person(keys, bob), ONE, id=group["id"]))["data"]["groupSession"]
    assert as_bob == {
        "seatsTaken": 1,
        "waitlistLength": 1,
        "seats": None,
        "waitlist": None,
        "myBooking": {"status": "waitlisted", "position": 1},
    }
    listed = (await gql(client, person(keys, alice), LIST, program=program))["data"]["groupSessions"]
    assert (listed["total"], listed["limit"], listed["offset"]) == (1, 10, 0)
    assert listed["items"] == [{"id": group["id"], "seatsTaken": 1, "myBooking": {"status": "booked"}}]

    released = await gql(client, person(keys, alice), RELEASE, group=group["id"], person=str(alice))
    assert released["data"]["releaseSeat"] == {"status": "booked", "seatNo": 1}
    as_manager = (await gql(client, manager(keys), ONE, id=group["id"]))["data"]["groupSession"]
    assert as_manager["seats"] == [{"personId": str(bob), "seatNo": 1, "fromWaitlist": True}]
    assert as_manager["waitlist"] == []


async def test_a_double_booking_is_a_409_problem_and_leaves_nothing(
    client: httpx.AsyncClient, keys: TestKeys, monday: datetime
) -> None:
    first = await office_hours(client, keys, monday, seats=5)
    overlapping = await office_hours(client, keys, monday + timedelta(minutes=15), seats=5)
    alice = uuid.uuid4()
    assert (await gql(client, person(keys, alice), BOOK, group=first["id"]))["data"]["bookSeat"][
        "status"
    ] == "booked"
    refused = await gql(client, person(keys, alice), BOOK, group=overlapping["id"])
    assert refused["data"] is None
    extensions = refused["errors"][0]["extensions"]
    assert (extensions["status"], extensions["type"], extensions["rule"]) == (
        409,
        "https://tandem.dev/problems/person-double-booked",
        "person-double-booked",
    )
    after = (await gql(client, manager(keys), ONE, id=overlapping["id"]))["data"]["groupSession"]
    assert (after["seatsTaken"], after["seats"]) == (0, [])


async def test_invalid_input_points_into_the_input(
    client: httpx.AsyncClient, keys: TestKeys, monday: datetime
) -> None:
    body = await gql(
        client,
        manager(keys),
        CREATE,
        program=str(uuid.uuid4()),
        startsAt=monday.isoformat(),
        endsAt=(monday + timedelta(minutes=30)).isoformat(),
        seats=0,
        host=str(uuid.uuid4()),
    )
    extensions = body["errors"][0]["extensions"]
    assert extensions["status"] == 422
    assert [e["pointer"] for e in extensions["errors"]] == ["#/input/seat_limit"]


async def test_scopes_and_roles_as_rest(client: httpx.AsyncClient, keys: TestKeys, monday: datetime) -> None:
    group = await office_hours(client, keys, monday)
    read_only = await gql(client, keys.headers("scheduling:read"), BOOK, group=group["id"])
    assert read_only["errors"][0]["extensions"]["status"] == 403
    stranger = await gql(client, person(keys, uuid.uuid4()), CANCEL, id=group["id"])
    assert stranger["errors"][0]["extensions"]["type"].endswith("/group-session-forbidden")
    for_other = await gql(
        client, person(keys, uuid.uuid4()), BOOK, group=group["id"], person=str(uuid.uuid4())
    )
    assert for_other["errors"][0]["extensions"]["status"] == 403
    cancelled = await gql(client, manager(keys), CANCEL, id=group["id"])
    assert cancelled["data"]["cancelGroupSession"] == {"status": "cancelled", "seatsTaken": 0}
    unknown = await gql(client, manager(keys), CANCEL, id="not-a-uuid")
    assert unknown["errors"][0]["extensions"]["status"] == 404
