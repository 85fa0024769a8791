"""The Google Calendar fake answers like Google: shapes, errors, paging, sync tokens, push channels."""

import httpx

from .conftest import GOOGLE_SCOPES, Receiver, Served, bearer_at

CAL = "/calendar/v3/calendars/primary/events"


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_free_busy_merges_clips_and_skips_free_time(fakes: Served) -> None:
    token = await bearer_at(fakes.configs["google"], "ana@acme.test")
    g = fakes.google
    g.put_event(
        "bo@acme.test",
        {
            "start": {"dateTime": "2027-03-01T09:00:00+01:00"},
            "end": {"dateTime": "2027-03-01T10:00:00+01:00"},
        },
    )
    g.put_event(
        "bo@acme.test",
        {"start": {"dateTime": "2027-03-01T08:30:00Z"}, "end": {"dateTime": "2027-03-01T09:30:00Z"}},
    )
    g.put_event(
        "bo@acme.test",
        {
            "start": {"dateTime": "2027-03-01T12:00:00Z"},
            "end": {"dateTime": "2027-03-01T13:00:00Z"},
            "transparency": "transparent",
        },
    )
    g.put_event(
        "bo@acme.test",
        {"start": {"dateTime": "2027-03-01T15:00:00Z"}, "end": {"dateTime": "2027-03-01T19:00:00Z"}},
    )
    body = {
        "timeMin": "2027-03-01T00:00:00Z",
        "timeMax": "2027-03-01T18:00:00Z",
        "items": [{"id": "bo@acme.test"}, {"id": "x@other.test"}],
    }
    async with httpx.AsyncClient(base_url=fakes.google_url) as http:
        answer = await http.post("/calendar/v3/freeBusy", json=body, headers=auth(token))
    assert answer.status_code == 200
    assert answer.json()["calendars"] == {
        "bo@acme.test": {
            "busy": [
                {"start": "2027-03-01T08:00:00Z", "end": "2027-03-01T09:30:00Z"},
                {"start": "2027-03-01T15:00:00Z", "end": "2027-03-01T18:00:00Z"},
            ]
        },
        "x@other.test": {"errors": [{"domain": "global", "reason": "notFound"}], "busy": []},
    }


async def test_events_insert_get_patch_delete(fakes: Served) -> None:
    token = await bearer_at(fakes.configs["google"], "ana@acme.test")
    event = {
        "id": "abcdef0123456789",
        "summary": "Coaching",
        "start": {"dateTime": "2027-03-02T10:00:00Z"},
        "end": {"dateTime": "2027-03-02T11:00:00Z"},
    }
    async with httpx.AsyncClient(base_url=fakes.google_url, headers=auth(token)) as http:
        created = await http.post(CAL, json=event)
        again = await http.post(CAL, json=event)
        patched = await http.patch(f"{CAL}/abcdef0123456789", json={"summary": "Moved"})
        fetched = await http.get(f"{CAL}/abcdef0123456789")
        deleted = await http.delete(f"{CAL}/abcdef0123456789")
        twice = await http.delete(f"{CAL}/abcdef0123456789")
        bad_id = await http.post(CAL, json={**event, "id": "UPPER_case"})
    assert created.status_code == 200
    assert created.json()["id"] == "abcdef0123456789"
    assert again.status_code == 409
    assert again.json()["error"]["errors"][0]["reason"] == "duplicate"
    assert (patched.json()["summary"], fetched.json()["summary"]) == ("Moved", "Moved")
    assert deleted.status_code == 204
    assert twice.status_code == 410
    assert twice.json()["error"]["errors"][0]["reason"] == "deleted"
    assert bad_id.status_code == 400
    assert fakes.google.live_events("ana@acme.test") == []


async def test_list_pages_then_syncs_and_refuses_a_stale_sync_token(fakes: Served) -> None:
    token = await bearer_at(fakes.configs["google"], "ana@acme.test")
    for day in range(1, 6):
        fakes.google.put_event(
            "ana@acme.test",
            {
                "start": {"dateTime": f"2027-04-0{day}T09:00:00Z"},
                "end": {"dateTime": f"2027-04-0{day}T10:00:00Z"},
            },
        )
    async with httpx.AsyncClient(base_url=fakes.google_url, headers=auth(token)) as http:
        first = (await http.get(CAL, params={"maxResults": 3})).json()
        second = (await http.get(CAL, params={"maxResults": 3, "pageToken": first["nextPageToken"]})).json()
        moved = second["items"][0]["id"]
        await http.delete(f"{CAL}/{moved}")
        changes = (await http.get(CAL, params={"syncToken": second["nextSyncToken"]})).json()
        fakes.google.invalidate_sync_tokens()
        stale = await http.get(CAL, params={"syncToken": changes["nextSyncToken"]})
    assert (len(first["items"]), "nextSyncToken" in first) == (3, False)
    assert (len(second["items"]), "nextPageToken" in second) == (2, False)
    assert [(e["id"], e["status"]) for e in changes["items"]] == [(moved, "cancelled")]
    assert stale.status_code == 410
    assert stale.json()["error"]["errors"][0]["reason"] == "fullSyncRequired"


async def test_expired_token_scope_and_rate_limit_errors(fakes: Served) -> None:
    freebusy_only = await bearer_at(fakes.configs["google"], "ana@acme.test", scopes=GOOGLE_SCOPES[:1])
    token = await bearer_at(fakes.configs["google"], "ana@acme.test")
    async with httpx.AsyncClient(base_url=fakes.google_url) as http:
        no_scope = await http.get(CAL, headers=auth(freebusy_only))
        fakes.google.fail_next(429, 403, retry_after="7")
        limited = await http.get(CAL, headers=auth(token))
        forbidden = await http.get(CAL, headers=auth(token))
        fakes.google.oauth.expire_tokens("ana@acme.test")
        expired = await http.get(CAL, headers=auth(token))
    assert no_scope.status_code == 403
    assert no_scope.json()["error"]["errors"][0]["reason"] == "insufficientPermissions"
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "7")
    assert limited.json()["error"]["errors"][0] == {
        "domain": "usageLimits",
        "reason": "rateLimitExceeded",
        "message": "Rate Limit Exceeded",
    }
    assert forbidden.status_code == 403
    assert forbidden.json()["error"]["errors"][0]["reason"] == "rateLimitExceeded"
    assert expired.status_code == 401
    assert expired.json()["error"]["errors"][0]["reason"] == "authError"


async def test_watch_sends_sync_then_exists_until_stopped(fakes: Served, receiver: Receiver) -> None:
    token = await bearer_at(fakes.configs["google"], "ana@acme.test")
    async with httpx.AsyncClient(base_url=fakes.google_url, headers=auth(token)) as http:
        channel = (
            await http.post(
                f"{CAL}/watch",
                json={"id": "chan-1", "type": "web_hook", "address": receiver.url, "token": "secret-tok"},
            )
        ).json()
        await fakes.google.drain()
        fakes.google.put_event(
            "ana@acme.test",
            {"start": {"dateTime": "2027-05-01T09:00:00Z"}, "end": {"dateTime": "2027-05-01T10:00:00Z"}},
        )
        await fakes.google.drain()
        stopped = await http.post(
            "/calendar/v3/channels/stop", json={"id": "chan-1", "resourceId": channel["resourceId"]}
        )
        fakes.google.put_event(
            "ana@acme.test",
            {"start": {"dateTime": "2027-05-02T09:00:00Z"}, "end": {"dateTime": "2027-05-02T10:00:00Z"}},
        )
        await fakes.google.drain()
    assert channel["kind"] == "api#channel"
    assert int(channel["expiration"]) > 0
    assert stopped.status_code == 204
    states = [
        (h["x-goog-resource-state"], h["x-goog-channel-token"], h["x-goog-message-number"])
        for h, _ in receiver.received
    ]
    assert states == [("sync", "secret-tok", "1"), ("exists", "secret-tok", "2")]
