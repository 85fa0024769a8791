"""`POST /api/v1/calendars/free-busy` against the Google and Microsoft fakes over real HTTP."""

import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import text

from tandem_gateway.testing import bearer

from .conftest import READ_TIMEOUT, Stack

DAY = datetime(2030, 3, 4, tzinfo=UTC)  # a Monday, safely in the future
WINDOW = (DAY, DAY + timedelta(days=1))


def at(hour: float) -> datetime:
    return DAY + timedelta(hours=hour)


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


async def seed_google(stack: Stack, user: str, start: datetime, end: datetime) -> None:
    async with httpx.AsyncClient(base_url=stack.oauth["google"].token_url.removesuffix("/token")) as http:
        answer = await http.post("/_fake/events", json={"user": user, "start": iso(start), "end": iso(end)})
    assert answer.status_code == 201


async def seed_microsoft(
    stack: Stack, user: str, start: datetime, end: datetime, show_as: str = "busy"
) -> None:
    stack.microsoft.put_event(
        user,
        {
            "subject": "Board meeting",
            "showAs": show_as,
            "start": {"dateTime": start.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
            "end": {"dateTime": end.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
        },
    )


def busy_of(answer: dict[str, object]) -> list[tuple[str, str]]:
    return [(b["start"], b["end"]) for b in answer["busy"]]  # type: ignore[attr-defined]


async def test_anonymous_is_refused(stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=stack.url) as http:
        answer = await http.post("/api/v1/calendars/free-busy", json={})
    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"


async def test_missing_scope_is_refused(stack: Stack) -> None:
    token = await stack.token("scheduling:read")
    body = {"person_ids": [str(uuid.uuid4())], "start": iso(WINDOW[0]), "end": iso(WINDOW[1])}
    async with httpx.AsyncClient(base_url=stack.url) as http:
        answer = await http.post("/api/v1/calendars/free-busy", json=body, headers=bearer(token))
    assert answer.status_code == 403
    assert answer.json()["missing_scopes"] == ["calendars:freebusy"]


async def test_a_window_longer_than_62_days_names_the_field(stack: Stack) -> None:
    answer = await stack.free_busy([uuid.uuid4()], DAY, DAY + timedelta(days=63))
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert [e["pointer"] for e in answer.json()["errors"]] == ["#/end"]


async def test_a_time_outside_the_calendar_range_names_the_field(stack: Stack) -> None:
    token = await stack.token("calendars:freebusy")
    body = {"person_ids": [str(uuid.uuid4())], "start": "0001-01-01T00:00:00+01:00", "end": iso(DAY)}
    async with httpx.AsyncClient(base_url=stack.url) as http:
        answer = await http.post("/api/v1/calendars/free-busy", json=body, headers=bearer(token))
    assert answer.status_code == 422
    assert [e["pointer"] for e in answer.json()["errors"]] == ["#/start"]


async def test_verified_from_both_providers_merged_and_clipped(stack: Stack) -> None:
    ana, ben, cleo = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await stack.connect("google", ana, "ana@example.test")
    await stack.connect("microsoft", ben, "ben@contoso.test")
    await seed_google(stack, "ana@example.test", at(-2), at(1))  # starts before the window
    await seed_google(stack, "ana@example.test", at(9), at(10))
    await seed_google(stack, "ana@example.test", at(9.5), at(11))  # overlaps the one before
    await seed_microsoft(stack, "ben@contoso.test", at(13), at(14))
    await seed_microsoft(stack, "ben@contoso.test", at(14), at(15))  # touches the one before
    await seed_microsoft(stack, "ben@contoso.test", at(16), at(17), show_as="free")
    await seed_microsoft(stack, "ben@contoso.test", at(23), at(26))  # ends after the window

    answer = await stack.free_busy([ana, ben, cleo], *WINDOW)

    assert answer.status_code == 200, answer.text
    ana_fb, ben_fb, cleo_fb = answer.json()["people"]
    assert (ana_fb["person_id"], ana_fb["calendar"], ana_fb["provider"], ana_fb["reason"]) == (
        str(ana),
        "verified",
        "google",
        None,
    )
    assert busy_of(ana_fb) == [
        ("2030-03-04T00:00:00Z", "2030-03-04T01:00:00Z"),
        ("2030-03-04T09:00:00Z", "2030-03-04T11:00:00Z"),
    ]
    assert (ben_fb["calendar"], ben_fb["provider"], ben_fb["reason"]) == ("verified", "microsoft", None)
    assert busy_of(ben_fb) == [
        ("2030-03-04T13:00:00Z", "2030-03-04T15:00:00Z"),
        ("2030-03-04T23:00:00Z", "2030-03-05T00:00:00Z"),
    ]
    assert cleo_fb == {
        "person_id": str(cleo),
        "calendar": "unverified",
        "provider": None,
        "reason": "not_connected",
        "busy": [],
    }


async def test_a_second_read_comes_from_the_cache_until_a_notification_clears_it(stack: Stack) -> None:
    ana = uuid.uuid4()
    await stack.connect("google", ana, "ana@example.test")
    await seed_google(stack, "ana@example.test", at(9), at(10))
    await stack.google.drain()  # its notification is in before the first read
    first = await stack.free_busy([ana], *WINDOW)
    reads = stack.google.api_calls.count("POST /calendar/v3/freeBusy")

    inside = await stack.free_busy([ana], at(8), at(12))  # a window inside the cached one

    assert stack.google.api_calls.count("POST /calendar/v3/freeBusy") == reads
    assert busy_of(inside.json()["people"][0]) == [("2030-03-04T09:00:00Z", "2030-03-04T10:00:00Z")]
    assert busy_of(first.json()["people"][0]) == [("2030-03-04T09:00:00Z", "2030-03-04T10:00:00Z")]

    # A new meeting: Google notifies the watch channel, the gateway drops the cached busy times.
    await seed_google(stack, "ana@example.test", at(15), at(16))
    await stack.google.drain()
    assert [d.status for d in stack.google.deliveries][-1] == 200

    after = await stack.free_busy([ana], *WINDOW)

    assert stack.google.api_calls.count("POST /calendar/v3/freeBusy") == reads + 1
    assert busy_of(after.json()["people"][0]) == [
        ("2030-03-04T09:00:00Z", "2030-03-04T10:00:00Z"),
        ("2030-03-04T15:00:00Z", "2030-03-04T16:00:00Z"),
    ]


async def test_a_revoked_grant_is_unknown_needs_reauth(stack: Stack) -> None:
    ana = uuid.uuid4()
    await stack.connect("google", ana, "ana@example.test")
    stack.google.oauth.revoke_grants("ana@example.test")
    stack.google.oauth.expire_tokens("ana@example.test")
    async with stack.sessionmaker() as session, session.begin():
        # The stored token is past its expiry too: the gateway must refresh, and the refresh is refused.
        await session.execute(
            text("UPDATE external_connections SET expires_at = now() - interval '1 minute'")
        )

    answer = await stack.free_busy([ana], *WINDOW)
    again = await stack.free_busy([ana], *WINDOW)

    expected = {
        "person_id": str(ana),
        "calendar": "unknown",
        "provider": "google",
        "reason": "needs_reauth",
        "busy": [],
    }
    assert answer.json()["people"] == [expected]
    assert again.json()["people"] == [expected]  # from the connection's state, without a provider call


async def test_a_provider_error_is_unknown_never_a_5xx(stack: Stack) -> None:
    ben = uuid.uuid4()
    await stack.connect("microsoft", ben, "ben@contoso.test")
    stack.microsoft.fail_next(503, 503)  # whatever the gateway calls first fails

    answer = await stack.free_busy([ben], *WINDOW)

    assert answer.status_code == 200
    assert answer.json()["people"][0]["calendar"] == "unknown"
    assert answer.json()["people"][0]["reason"] == "provider_error"


async def test_a_slow_calendar_is_unknown_timeout_and_does_not_hold_the_other(stack: Stack) -> None:
    ana, ben = uuid.uuid4(), uuid.uuid4()
    await stack.connect("google", ana, "ana@example.test")
    await stack.connect("microsoft", ben, "ben@contoso.test")
    await seed_microsoft(stack, "ben@contoso.test", at(9), at(10))
    stack.google_gate.slow_paths = {"/calendar/v3/freeBusy"}
    stack.google_gate.delay = 10.0
    await stack.token("calendars:freebusy")  # the caller's own token is not what is timed

    started = time.perf_counter()
    answer = await stack.free_busy([ana, ben], *WINDOW)
    took = time.perf_counter() - started

    ana_fb, ben_fb = answer.json()["people"]
    assert (ana_fb["calendar"], ana_fb["reason"], ana_fb["busy"]) == ("unknown", "timeout", [])
    assert (ben_fb["calendar"], busy_of(ben_fb)) == (
        "verified",
        [("2030-03-04T09:00:00Z", "2030-03-04T10:00:00Z")],
    )
    # Cut at the read budget, far from the calendar's 10 s (the margin is for a loaded test machine).
    assert READ_TIMEOUT <= took < READ_TIMEOUT + 3.0


async def test_a_token_the_provider_dropped_early_is_refreshed_once_and_the_read_verified(
    stack: Stack,
) -> None:
    ana = uuid.uuid4()
    await stack.connect("google", ana, "ana@example.test")
    await seed_google(stack, "ana@example.test", at(9), at(10))
    stack.google.oauth.expire_tokens("ana@example.test")  # our stored expiry still says an hour
    refreshes = stack.google.oauth.token_requests.count("refresh_token")

    answer = await stack.free_busy([ana], *WINDOW)

    assert answer.json()["people"][0]["calendar"] == "verified"
    assert busy_of(answer.json()["people"][0]) == [("2030-03-04T09:00:00Z", "2030-03-04T10:00:00Z")]
    assert stack.google.oauth.token_requests.count("refresh_token") == refreshes + 1
