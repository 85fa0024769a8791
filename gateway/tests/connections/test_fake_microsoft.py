"""The Microsoft Graph fake answers like Graph: getSchedule, transactionId dedupe, paging, subscriptions
with the validation handshake, clientState and lifecycle notifications, error bodies."""

import json
from datetime import UTC, datetime, timedelta

import httpx

from .conftest import Receiver, Served, bearer_at


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def later(minutes: int) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S.0000000Z")


async def test_get_schedule_in_the_preferred_zone(fakes: Served) -> None:
    token = await bearer_at(fakes.configs["microsoft"], "ana@acme.test")
    m = fakes.microsoft
    m.put_event(
        "bo@acme.test",
        {
            "start": {"dateTime": "2027-03-01T09:00:00", "timeZone": "Europe/Berlin"},
            "end": {"dateTime": "2027-03-01T10:00:00", "timeZone": "Europe/Berlin"},
        },
    )
    m.put_event(
        "bo@acme.test",
        {
            "showAs": "free",
            "start": {"dateTime": "2027-03-01T11:00:00", "timeZone": "UTC"},
            "end": {"dateTime": "2027-03-01T12:00:00", "timeZone": "UTC"},
        },
    )
    body = {
        "schedules": ["bo@acme.test", "x@other.test"],
        "startTime": {"dateTime": "2027-03-01T07:00:00", "timeZone": "UTC"},
        "endTime": {"dateTime": "2027-03-01T10:00:00", "timeZone": "UTC"},
        "availabilityViewInterval": 60,
    }
    async with httpx.AsyncClient(base_url=fakes.microsoft_url, headers=auth(token)) as http:
        answer = await http.post(
            "/v1.0/me/calendar/getSchedule",
            json=body,
            headers={"Prefer": 'outlook.timezone="America/New_York"'},
        )
    assert answer.status_code == 200
    bo, other = answer.json()["value"]
    assert bo["availabilityView"] == "020"
    assert bo["scheduleItems"] == [
        {
            "isPrivate": False,
            "status": "busy",
            "start": {"dateTime": "2027-03-01T03:00:00.0000000", "timeZone": "America/New_York"},
            "end": {"dateTime": "2027-03-01T04:00:00.0000000", "timeZone": "America/New_York"},
        }
    ]
    assert other["error"]["responseCode"] == "ErrorMailboxNotFound"


async def test_transaction_id_makes_one_event(fakes: Served) -> None:
    token = await bearer_at(fakes.configs["microsoft"], "ana@acme.test")
    event = {
        "subject": "Coaching",
        "transactionId": "0b0c6f0e-2d1c-4d8b-9a55-4d9f4f1f8e11",
        "start": {"dateTime": "2027-03-02T10:00:00", "timeZone": "UTC"},
        "end": {"dateTime": "2027-03-02T11:00:00", "timeZone": "UTC"},
    }
    async with httpx.AsyncClient(base_url=fakes.microsoft_url, headers=auth(token)) as http:
        first = await http.post("/v1.0/me/events", json=event)
        retried = await http.post("/v1.0/me/events", json=event)
        event_id = first.json()["id"]
        patched = await http.patch(f"/v1.0/me/events/{event_id}", json={"subject": "Moved"})
        deleted = await http.delete(f"/v1.0/me/events/{event_id}")
        gone = await http.get(f"/v1.0/me/events/{event_id}")
    assert (first.status_code, retried.status_code) == (201, 201)
    assert retried.json()["id"] == event_id
    assert patched.json()["subject"] == "Moved"
    assert deleted.status_code == 204
    assert gone.status_code == 404
    assert gone.json()["error"]["code"] == "ErrorItemNotFound"


async def test_events_page_with_next_link(fakes: Served) -> None:
    token = await bearer_at(fakes.configs["microsoft"], "ana@acme.test")
    for day in range(1, 6):
        fakes.microsoft.put_event(
            "ana@acme.test",
            {
                "start": {"dateTime": f"2027-04-0{day}T09:00:00", "timeZone": "UTC"},
                "end": {"dateTime": f"2027-04-0{day}T10:00:00", "timeZone": "UTC"},
            },
        )
    seen: list[str] = []
    url: str | None = "/v1.0/me/events?$top=2"
    async with httpx.AsyncClient(base_url=fakes.microsoft_url, headers=auth(token)) as http:
        while url:
            page = (await http.get(url)).json()
            seen += [e["start"]["dateTime"][:10] for e in page["value"]]
            url = page.get("@odata.nextLink")
    assert seen == [f"2027-04-0{d}" for d in range(1, 6)]


async def test_errors_look_like_graph(fakes: Served) -> None:
    token = await bearer_at(fakes.configs["microsoft"], "ana@acme.test")
    read_only = await bearer_at(fakes.configs["microsoft"], "ana@acme.test", scopes=("Calendars.ReadBasic",))
    event = {
        "start": {"dateTime": "2027-03-02T10:00:00", "timeZone": "UTC"},
        "end": {"dateTime": "2027-03-02T11:00:00", "timeZone": "UTC"},
    }
    async with httpx.AsyncClient(base_url=fakes.microsoft_url) as http:
        no_scope = await http.post("/v1.0/me/events", json=event, headers=auth(read_only))
        fakes.microsoft.fail_next(429, 503, retry_after="3")
        limited = await http.get("/v1.0/me/events", headers=auth(token))
        down = await http.get("/v1.0/me/events", headers=auth(token))
        fakes.microsoft.oauth.expire_tokens()
        expired = await http.get("/v1.0/me/events", headers=auth(token))
    assert (no_scope.status_code, no_scope.json()["error"]["code"]) == (403, "ErrorAccessDenied")
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "3")
    assert limited.json()["error"]["code"] == "TooManyRequests"
    assert (down.status_code, down.json()["error"]["code"]) == (503, "ServiceUnavailable")
    assert (expired.status_code, expired.json()["error"]["code"]) == (401, "InvalidAuthenticationToken")


async def test_subscription_validates_notifies_renews_and_ends(fakes: Served, receiver: Receiver) -> None:
    token = await bearer_at(fakes.configs["microsoft"], "ana@acme.test")
    body = {
        "changeType": "created,updated,deleted",
        "notificationUrl": receiver.url,
        "lifecycleNotificationUrl": receiver.url,
        "resource": "me/events",
        "expirationDateTime": later(60),
        "clientState": "state-123",
    }
    async with httpx.AsyncClient(base_url=fakes.microsoft_url, headers=auth(token)) as http:
        created = await http.post("/v1.0/subscriptions", json=body)
        sid = created.json()["id"]
        fakes.microsoft.put_event(
            "ana@acme.test",
            {
                "start": {"dateTime": "2027-05-01T09:00:00", "timeZone": "UTC"},
                "end": {"dateTime": "2027-05-01T10:00:00", "timeZone": "UTC"},
            },
        )
        await fakes.microsoft.drain()
        renewed = await http.patch(f"/v1.0/subscriptions/{sid}", json={"expirationDateTime": later(120)})
        too_long = await http.patch(f"/v1.0/subscriptions/{sid}", json={"expirationDateTime": later(20000)})
        fakes.microsoft.lifecycle(sid, "reauthorizationRequired")
        await fakes.microsoft.drain()
        deleted = await http.delete(f"/v1.0/subscriptions/{sid}")
        receiver.echo_validation = False
        refused = await http.post("/v1.0/subscriptions", json=body)
    assert created.status_code == 201
    assert created.json()["clientState"] == "state-123"
    change, lifecycle = (json.loads(raw)["value"][0] for _, raw in receiver.received)
    assert (change["changeType"], change["clientState"], change["subscriptionId"]) == (
        "created",
        "state-123",
        sid,
    )
    assert change["resourceData"]["@odata.type"] == "#Microsoft.Graph.Event"
    assert (lifecycle["lifecycleEvent"], lifecycle["clientState"]) == ("reauthorizationRequired", "state-123")
    assert renewed.status_code == 200
    assert renewed.json()["expirationDateTime"] != created.json()["expirationDateTime"]
    assert too_long.status_code == 400
    assert deleted.status_code == 204
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "InvalidRequest"
