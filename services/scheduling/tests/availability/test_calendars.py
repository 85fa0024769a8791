"""Slot search and booking against both people's calendars, through the real gateway and its Google and
Microsoft fakes over HTTP: busy times left out, `verified | unknown | unverified` per party,
`accept_unverified`, a gateway that is down, and the re-check at booking time."""

import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tandem_gateway.testing import closed_port_url
from tandem_kit.oauth_client import ServiceClient, StaticToken
from tandem_kit.testing import TestKeys, eventually
from tandem_scheduling.gateway_client import links
from tandem_scheduling.gateway_client.calendars import CalendarGateway

Calendars = Any  # the `calendars` fixture (conftest.py): the real gateway and its fakes

BASE = "/api/v1/scheduling/engagements"
WRITE = ("scheduling:read", "scheduling:write")


def window(monday: datetime) -> dict[str, str]:
    start = monday.replace(hour=0)
    return {"from": start.isoformat(), "to": (start + timedelta(days=1)).isoformat()}


async def slots(
    client: httpx.AsyncClient, keys: TestKeys, engagement: Any, monday: datetime
) -> dict[str, Any]:
    resp = await client.get(
        f"{BASE}/{engagement.id}/slots", params=window(monday), headers=keys.headers("scheduling:read")
    )
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


def starts(body: dict[str, Any]) -> list[str]:
    return [datetime.fromisoformat(s["starts_at"]).strftime("%H:%M") for s in body["slots"]]


def parties(body: dict[str, Any]) -> list[tuple[str, str, str | None, str | None]]:
    return [(c["role"], c["calendar"], c["provider"], c["reason"]) for c in body["calendars"]]


async def book(
    client: httpx.AsyncClient, keys: TestKeys, engagement: Any, at: datetime, **extra: Any
) -> httpx.Response:
    return await client.post(
        f"{BASE}/{engagement.id}/sessions",
        json={"starts_at": at.isoformat(), "kind": "kickoff", **extra},
        headers=keys.headers(*WRITE),
    )


async def connected_pair(app: FastAPI, calendars: Calendars, make_engagement: Any) -> tuple[Any, str, str]:
    """An engagement whose participant uses Google and whose coach uses Microsoft (New York and Berlin,
    9 to 5: in January they share 14:00-16:00 UTC), once scheduling has heard (`CalendarConnected`
    through the broker) that both have a calendar."""
    participant, coach = uuid.uuid4(), uuid.uuid4()
    ana, ben = f"ana-{participant.hex[:8]}@example.test", f"ben-{coach.hex[:8]}@contoso.test"
    await calendars.connect("google", participant, ana)
    await calendars.connect("microsoft", coach, ben)

    async def linked() -> bool:
        async with app.state.database.sessionmaker() as session:
            return await links.connected_people(session, [participant, coach]) == {participant, coach}

    assert await eventually(linked, timeout=15) is True
    engagement = await make_engagement(participant_id=str(participant), provider_person_id=str(coach))
    return engagement, ana, ben


async def test_slots_avoid_busy_times_in_both_calendars(
    app: FastAPI,
    client: httpx.AsyncClient,
    keys: TestKeys,
    make_engagement: Any,
    monday: datetime,
    calendars: Calendars,
) -> None:
    engagement, ana, ben = await connected_pair(app, calendars, make_engagement)
    calendars.busy("google", ana, monday, monday + timedelta(minutes=30))  # 14:00-14:30
    calendars.busy("microsoft", ben, monday + timedelta(minutes=90), monday + timedelta(minutes=120))

    body = await slots(client, keys, engagement, monday)

    assert starts(body) == ["14:30"]
    assert parties(body) == [
        ("participant", "verified", "google", None),
        ("provider", "verified", "microsoft", None),
    ]
    assert [
        (s["participant_calendar"], s["provider_calendar"], s["needs_accept_unverified"])
        for s in body["slots"]
    ] == [("verified", "verified", False)]
    # Booking the time a calendar is busy is refused by the re-check, naming whose calendar.
    refused = await book(client, keys, engagement, monday)
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    assert (refused.json()["type"].rsplit("/", 1)[1], refused.json()["role"]) == (
        "calendar-busy",
        "participant",
    )
    assert (await book(client, keys, engagement, monday + timedelta(minutes=30))).status_code == 201


async def test_without_calendars_the_slots_say_working_hours_only(
    client: httpx.AsyncClient, keys: TestKeys, make_engagement: Any, monday: datetime
) -> None:
    engagement = await make_engagement()

    body = await slots(client, keys, engagement, monday)

    assert starts(body) == ["14:00", "14:30", "15:00"]
    assert parties(body) == [
        ("participant", "unverified", None, "not_connected"),
        ("provider", "unverified", None, "not_connected"),
    ]
    assert {c["detail"] for c in body["calendars"]} == {
        "No calendar connected: working hours and booked sessions only."
    }
    assert {s["needs_accept_unverified"] for s in body["slots"]} == {False}
    # Nothing to verify is not a reason to refuse: booked without the flag.
    assert (await book(client, keys, engagement, monday)).status_code == 201


async def test_an_unreadable_calendar_is_unknown_and_booking_needs_accept_unverified(
    app: FastAPI,
    client: httpx.AsyncClient,
    keys: TestKeys,
    make_engagement: Any,
    monday: datetime,
    calendars: Calendars,
) -> None:
    engagement, ana, _ = await connected_pair(app, calendars, make_engagement)
    # The participant withdrew the grant at Google: the next refresh is `invalid_grant`.
    calendars.google.oauth.expire_tokens(ana)
    calendars.google.oauth.revoke_grants(ana)

    body = await slots(client, keys, engagement, monday)

    # The refused token is refreshed once, the refresh says `invalid_grant`: the connection needs reauth.
    assert parties(body) == [
        ("participant", "unknown", "google", "needs_reauth"),
        ("provider", "verified", "microsoft", None),
    ]
    assert starts(body) == ["14:00", "14:30", "15:00"]
    assert {(s["participant_calendar"], s["needs_accept_unverified"]) for s in body["slots"]} == {
        ("unknown", True)
    }
    refused = await book(client, keys, engagement, monday)
    assert refused.status_code == 409
    problem = refused.json()
    assert (problem["type"].rsplit("/", 1)[1], problem["pointer"], problem["roles"]) == (
        "calendar-unverified",
        "#/accept_unverified",
        ["participant"],
    )
    assert (await book(client, keys, engagement, monday, accept_unverified=True)).status_code == 201


async def test_a_gateway_that_is_down_makes_both_unknown_never_a_5xx(
    app: FastAPI,
    client: httpx.AsyncClient,
    keys: TestKeys,
    make_engagement: Any,
    monday: datetime,
    calendars: Calendars,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    engagement, _, _ = await connected_pair(app, calendars, make_engagement)
    without_calendars = await make_engagement()
    down = ServiceClient(closed_port_url(), StaticToken(lambda: "unused"))
    monkeypatch.setattr(app.state, "calendars", CalendarGateway(down))

    body = await slots(client, keys, engagement, monday)

    assert parties(body) == [
        ("participant", "unknown", None, "gateway_unavailable"),
        ("provider", "unknown", None, "gateway_unavailable"),
    ]
    assert starts(body) == ["14:00", "14:30", "15:00"]
    refused = await book(client, keys, engagement, monday)
    assert (refused.status_code, refused.json()["roles"]) == (409, ["participant", "provider"])
    assert (await book(client, keys, engagement, monday, accept_unverified=True)).status_code == 201
    # People without a calendar are not asked about: the gateway being down changes nothing for them.
    assert {c["calendar"] for c in (await slots(client, keys, without_calendars, monday))["calendars"]} == {
        "unverified"
    }
    assert (await book(client, keys, without_calendars, monday + timedelta(hours=1))).status_code == 201
    await down.aclose()


async def test_a_meeting_added_after_the_search_is_caught_at_booking(
    app: FastAPI,
    client: httpx.AsyncClient,
    keys: TestKeys,
    make_engagement: Any,
    monday: datetime,
    calendars: Calendars,
) -> None:
    engagement, _, ben = await connected_pair(app, calendars, make_engagement)
    assert starts(await slots(client, keys, engagement, monday)) == ["14:00", "14:30", "15:00"]

    # Meanwhile the coach accepts a meeting at 14:30 (Microsoft notifies the gateway, which drops its cache).
    calendars.busy("microsoft", ben, monday + timedelta(minutes=30), monday + timedelta(minutes=60))
    await calendars.microsoft.drain()

    refused = await book(client, keys, engagement, monday)
    assert refused.status_code == 409
    assert (refused.json()["type"].rsplit("/", 1)[1], refused.json()["role"]) == ("calendar-busy", "provider")
    assert starts(await slots(client, keys, engagement, monday)) == ["15:00"]
