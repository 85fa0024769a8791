"""Change notifications: Google watch channels and Graph subscriptions, their checks, lifecycle and renewal."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import update

from tandem_gateway.calendars import notifications
from tandem_gateway.models import CalendarWatch

from .conftest import Stack
from .test_events import booked, settled

DAY = datetime(2030, 3, 4, tzinfo=UTC)
GOOGLE_HOOK = "/api/v1/calendars/notifications/google"
GRAPH_HOOK = "/api/v1/calendars/notifications/microsoft"
GRAPH_LIFECYCLE = "/api/v1/calendars/notifications/microsoft/lifecycle"
PROBLEMS = "https://tandem.dev/problems/"


def at(hour: float) -> datetime:
    return DAY + timedelta(hours=hour)


def session_at(session_id: uuid.UUID, participant: uuid.UUID, other: uuid.UUID, hour: int) -> dict[str, Any]:
    data = booked(session_id, participant, other)
    data["starts_at"], data["ends_at"] = at(hour).isoformat(), at(hour + 1).isoformat()
    return data


async def post(stack: Stack, path: str, **kwargs: Any) -> httpx.Response:
    async with httpx.AsyncClient(base_url=stack.url) as http:
        return await http.post(path, **kwargs)


def google_headers(channel_id: uuid.UUID, token: str | None, state: str = "exists") -> dict[str, str]:
    headers = {
        "X-Goog-Channel-ID": str(channel_id),
        "X-Goog-Resource-State": state,
        "X-Goog-Message-Number": "7",
    }
    return headers | ({"X-Goog-Channel-Token": token} if token is not None else {})


async def test_google_notification_with_a_wrong_channel_token_is_refused(stack: Stack) -> None:
    connection = await stack.connect("google", uuid.uuid4(), "ana@example.test")
    [watch] = await stack.watches(connection.id)
    [channel] = stack.google.channels.values()
    assert channel.id == str(watch.id)

    wrong = await post(stack, GOOGLE_HOOK, headers=google_headers(watch.id, "not-the-token"))
    missing = await post(stack, GOOGLE_HOOK, headers=google_headers(watch.id, None))
    unknown = await post(stack, GOOGLE_HOOK, headers=google_headers(uuid.uuid4(), channel.token))
    right = await post(stack, GOOGLE_HOOK, headers=google_headers(watch.id, channel.token))

    assert (wrong.status_code, wrong.json()["type"]) == (403, PROBLEMS + "channel-token-mismatch")
    assert missing.status_code == 403
    assert (unknown.status_code, unknown.json()["type"]) == (404, PROBLEMS + "unknown-channel")
    assert right.status_code == 200
    # The channel's opening `sync` message reached the gateway and was acknowledged.
    await stack.google.drain()
    assert [(d.state, d.status) for d in stack.google.deliveries][:1] == [("sync", 200)]


async def test_graph_validation_handshake_echoes_the_token_as_text(stack: Stack) -> None:
    for path in (GRAPH_HOOK, GRAPH_LIFECYCLE):
        answer = await post(
            stack, path, params={"validationToken": "Validation: Testing client application"}, content=b""
        )
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/plain")
        assert answer.text == "Validation: Testing client application"


async def test_graph_notification_with_a_wrong_client_state_is_refused(stack: Stack) -> None:
    connection = await stack.connect("microsoft", uuid.uuid4(), "ben@contoso.test")
    [watch] = await stack.watches(connection.id)
    [sub] = stack.microsoft.subscriptions.values()
    assert sub.id == watch.external_id

    wrong = await post(
        stack, GRAPH_HOOK, json={"value": [{"subscriptionId": sub.id, "clientState": "guess"}]}
    )
    right = await post(
        stack, GRAPH_HOOK, json={"value": [{"subscriptionId": sub.id, "clientState": sub.client_state}]}
    )

    assert (wrong.status_code, wrong.json()["type"]) == (403, PROBLEMS + "channel-token-mismatch")
    assert right.status_code == 202


async def test_a_change_brings_busy_times_around_the_booked_sessions(stack: Stack) -> None:
    ana, ben = uuid.uuid4(), uuid.uuid4()
    await stack.connect("google", ana, "ana@example.test")
    first, second = uuid.uuid4(), uuid.uuid4()
    await stack.publish("SessionBooked", session_at(first, ana, ben, 9))
    await stack.publish("SessionBooked", session_at(second, ana, ben, 14))
    await settled(stack, first, "written", "skipped")
    await settled(stack, second, "written", "skipped")
    await stack.google.drain()

    # A meeting lands between the two sessions: Google notifies, the gateway reads the calendar again
    # and sends the busy times of everything but the sessions' own events (Google id = base32hex of the
    # session id), so a meeting inside a session would not be hidden by the session's own event.
    stack.google.put_event(
        "ana@example.test",
        {"start": {"dateTime": at(11).isoformat()}, "end": {"dateTime": at(12).isoformat()}},
    )
    await stack.google.drain()

    changes = await stack.outbox("CalendarBusyChanged")
    latest = changes[-1]
    assert (latest["person_id"], latest["provider"]) == (str(ana), "google")
    assert (latest["window_start"], latest["window_end"]) == ("2030-03-04T09:00:00Z", "2030-03-04T15:00:00Z")
    assert latest["busy"] == [{"start": "2030-03-04T11:00:00Z", "end": "2030-03-04T12:00:00Z"}]
    assert set(latest) == {"person_id", "provider", "window_start", "window_end", "busy", "changed_at"}


async def test_graph_lifecycle_missed_resyncs(stack: Stack) -> None:
    ben, ana = uuid.uuid4(), uuid.uuid4()
    connection = await stack.connect("microsoft", ben, "ben@contoso.test")
    first, second = uuid.uuid4(), uuid.uuid4()
    await stack.publish("SessionBooked", session_at(first, ana, ben, 9))
    await stack.publish("SessionBooked", session_at(second, ana, ben, 12))
    await settled(stack, first, "written", "skipped")
    await settled(stack, second, "written", "skipped")
    await stack.microsoft.drain()
    [watch] = await stack.watches(connection.id)
    sub = stack.microsoft.subscriptions[watch.external_id]
    # Graph loses the change notification of a new meeting between the sessions...
    sub.change_type = "deleted"
    stack.microsoft.put_event(
        "ben@contoso.test",
        {
            "subject": "Board meeting",
            "start": {"dateTime": "2030-03-04T10:30:00", "timeZone": "UTC"},
            "end": {"dateTime": "2030-03-04T11:00:00", "timeZone": "UTC"},
        },
    )
    sub.change_type = "created,updated,deleted"
    await stack.microsoft.drain()
    before = await stack.outbox("CalendarBusyChanged")
    assert before[-1]["busy"] == []  # only the sessions' own events (transactionId = session id) so far

    # ... and says so: the gateway reads the calendar again.
    stack.microsoft.lifecycle(sub.id, "missed")
    await stack.microsoft.drain()

    changes = await stack.outbox("CalendarBusyChanged")
    assert len(changes) == len(before) + 1
    assert (changes[-1]["person_id"], changes[-1]["provider"]) == (str(ben), "microsoft")
    assert (changes[-1]["window_start"], changes[-1]["window_end"]) == (
        "2030-03-04T09:00:00Z",
        "2030-03-04T13:00:00Z",
    )
    assert changes[-1]["busy"] == [{"start": "2030-03-04T10:30:00Z", "end": "2030-03-04T11:00:00Z"}]
    assert [d.status for d in stack.microsoft.deliveries if d.kind == "missed"] == [202]


async def test_graph_lifecycle_reauthorization_renews_and_removal_subscribes_again(stack: Stack) -> None:
    connection = await stack.connect("microsoft", uuid.uuid4(), "ben@contoso.test")
    [watch] = await stack.watches(connection.id)

    stack.microsoft.lifecycle(watch.external_id, "reauthorizationRequired")
    await stack.microsoft.drain()
    assert f"PATCH /v1.0/subscriptions/{watch.external_id}" in stack.microsoft.api_calls

    stack.microsoft.lifecycle(watch.external_id, "subscriptionRemoved")
    await stack.microsoft.drain()
    [again] = await stack.watches(connection.id)
    assert again.external_id != watch.external_id
    assert list(stack.microsoft.subscriptions) == [again.external_id]


async def test_channels_about_to_expire_are_renewed(stack: Stack) -> None:
    google = await stack.connect("google", uuid.uuid4(), "ana@example.test")
    graph = await stack.connect("microsoft", uuid.uuid4(), "ben@contoso.test")
    [old_google] = await stack.watches(google.id)
    [old_graph] = await stack.watches(graph.id)
    soon = datetime.now(UTC) + timedelta(minutes=30)
    async with stack.sessionmaker() as session, session.begin():
        await session.execute(update(CalendarWatch).values(expires_at=soon))

    renewed = await notifications.renew_due(stack.app.state.calendars)

    assert renewed == 2
    [new_google] = await stack.watches(google.id)
    [new_graph] = await stack.watches(graph.id)
    # Google: a new channel, the old one stopped. Graph: the same subscription, extended.
    assert new_google.id != old_google.id
    assert list(stack.google.channels) == [str(new_google.id)]
    assert new_google.expires_at > soon + timedelta(days=1)
    assert new_graph.external_id == old_graph.external_id
    assert new_graph.expires_at > soon + timedelta(days=1)
    assert f"PATCH /v1.0/subscriptions/{old_graph.external_id}" in stack.microsoft.api_calls
