"""The two calendar APIs, as far as Tandem uses them: Google Calendar v3 and Microsoft Graph v1.0.

Busy times, one event per session, and change notifications (Google watch channels, Graph
subscriptions). Each call takes the connection's access token; the caller owns the time budget.
Writes retry on 429/503 (and Google's 403 `rateLimitExceeded`) honouring `Retry-After`; reads do not
retry, so a slow calendar costs one timeout and no more.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from tandem_gateway.calendars.domain import Interval, google_event_id, utc
from tandem_kit.oauth_client import retry_after_seconds

GOOGLE_RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
# Graph's free/busy statuses; `free` and `workingElsewhere` leave the person available.
GRAPH_BUSY = frozenset({"busy", "oof", "tentative"})
EVENT_TITLE = "Tandem session"


class ProviderError(Exception):
    """The calendar answered with an error (or not at all). The message names the status, never data."""

    def __init__(self, status: int | None, code: str = "") -> None:
        super().__init__(f"status={status} code={code}")
        self.status = status
        self.code = code


def _error_code(response: httpx.Response) -> str:
    """Google: `error.errors[0].reason`; Graph: `error.code`."""
    try:
        error = response.json().get("error", {})
    except ValueError:
        return ""
    if not isinstance(error, dict):
        return str(error)
    reasons = [e.get("reason", "") for e in error.get("errors", []) if isinstance(e, dict)]
    return str(reasons[0] if reasons else error.get("code", ""))


def _retryable(response: httpx.Response) -> bool:
    if response.status_code in (429, 502, 503, 504):
        return True
    return response.status_code == 403 and _error_code(response) in GOOGLE_RATE_REASONS


def _iso(moment: datetime) -> str:
    return utc(moment).isoformat().replace("+00:00", "Z")


def _parse(value: str) -> datetime:
    # Graph writes seven fractional digits ("2026-12-07T09:00:00.0000000"), more than fromisoformat takes.
    head, dot, fraction = value.rstrip("Z").partition(".")
    moment = datetime.fromisoformat(head + (dot + fraction[:6] if dot else ""))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _google_when(when: dict[str, Any]) -> datetime:
    """A Google event time: `dateTime` (RFC 3339), or `date` for an all-day event (taken at UTC midnight)."""
    if "dateTime" in when:
        return _parse(str(when["dateTime"]))
    return datetime.fromisoformat(str(when["date"])).replace(tzinfo=UTC)


@dataclass(frozen=True)
class Watch:
    """A change-notification channel as the provider created it."""

    external_id: str  # Google: the channel's resourceId; Graph: the subscription id
    expires_at: datetime


class CalendarApi:
    """One httpx client for both providers (their base URLs point at the fakes in development)."""

    def __init__(
        self,
        *,
        google_url: str,
        graph_url: str,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 10.0,
        attempts: int = 4,
        max_wait: float = 30.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.google = google_url.rstrip("/")
        self.graph = graph_url.rstrip("/")
        self.http = httpx.AsyncClient(transport=transport, timeout=timeout)
        self.attempts, self.max_wait, self.sleep = attempts, max_wait, sleep

    async def aclose(self) -> None:
        await self.http.aclose()

    async def _send(
        self, method: str, url: str, token: str, *, retry: bool, ok: tuple[int, ...] = (), **kwargs: Any
    ) -> httpx.Response:
        headers = {**kwargs.pop("headers", {}), "Authorization": f"Bearer {token}"}
        attempts = self.attempts if retry else 1
        for attempt in range(attempts):
            try:
                response = await self.http.request(method, url, headers=headers, **kwargs)
            except httpx.TransportError as exc:
                if attempt == attempts - 1:
                    raise ProviderError(None, type(exc).__name__) from exc
                await self.sleep(min(0.2 * 2**attempt, self.max_wait))
                continue
            if response.is_success or response.status_code in ok:
                return response
            if not _retryable(response) or attempt == attempts - 1:
                raise ProviderError(response.status_code, _error_code(response))
            await self.sleep(min(retry_after_seconds(response, 0.2 * 2**attempt), self.max_wait))
        raise AssertionError("unreachable")

    # -- busy times -------------------------------------------------------------------------------

    async def google_busy(self, token: str, start: datetime, end: datetime) -> list[Interval]:
        """`freeBusy.query` of the person's primary calendar (busy times only, never event details)."""
        body = {"timeMin": _iso(start), "timeMax": _iso(end), "timeZone": "UTC", "items": [{"id": "primary"}]}
        response = await self._send(
            "POST", f"{self.google}/calendar/v3/freeBusy", token, retry=False, json=body
        )
        calendar = response.json().get("calendars", {}).get("primary", {})
        if calendar.get("errors"):
            raise ProviderError(response.status_code, str(calendar["errors"][0].get("reason", "")))
        return [Interval(_parse(b["start"]), _parse(b["end"])) for b in calendar.get("busy", [])]

    async def graph_busy(self, token: str, account: str, start: datetime, end: datetime) -> list[Interval]:
        """`calendar/getSchedule` for the person's own mailbox, answered in UTC."""
        body = {
            "schedules": [account],
            "startTime": {"dateTime": _iso(start).rstrip("Z"), "timeZone": "UTC"},
            "endTime": {"dateTime": _iso(end).rstrip("Z"), "timeZone": "UTC"},
            "availabilityViewInterval": 15,
        }
        response = await self._send(
            "POST",
            f"{self.graph}/v1.0/me/calendar/getSchedule",
            token,
            retry=False,
            json=body,
            headers={"Prefer": 'outlook.timezone="UTC"'},
        )
        busy: list[Interval] = []
        for schedule in response.json().get("value", []):
            if schedule.get("error"):
                raise ProviderError(response.status_code, str(schedule["error"].get("responseCode", "")))
            for item in schedule.get("scheduleItems", []):
                if item.get("status") in GRAPH_BUSY:
                    busy.append(Interval(_parse(item["start"]["dateTime"]), _parse(item["end"]["dateTime"])))
        return busy

    # -- events (a change notification: which meetings, so the sessions' own events can be told apart) --

    async def google_events(self, token: str, start: datetime, end: datetime) -> list[tuple[str, Interval]]:
        """`events.list` of the primary calendar over the window, recurring events expanded: each busy
        event's id and time (opaque and not cancelled). Only ids and times are asked for (`fields`)."""
        url = f"{self.google}/calendar/v3/calendars/primary/events"
        params = {
            "timeMin": _iso(start),
            "timeMax": _iso(end),
            "singleEvents": "true",
            "maxResults": "250",
            "fields": "items(id,status,transparency,start,end),nextPageToken",
        }
        found: list[tuple[str, Interval]] = []
        while True:
            body = (await self._send("GET", url, token, retry=False, params=params)).json()
            for item in body.get("items", []):
                if item.get("status") == "cancelled" or item.get("transparency") == "transparent":
                    continue
                found.append(
                    (str(item["id"]), Interval(_google_when(item["start"]), _google_when(item["end"])))
                )
            page = body.get("nextPageToken")
            if not page:
                return found
            params = {**params, "pageToken": str(page)}

    async def graph_events(self, token: str, start: datetime, end: datetime) -> list[tuple[str, Interval]]:
        """`calendarView` of the person's own calendar over the window (recurrences expanded), in UTC:
        each busy event's `transactionId` (ours: the session id) or, for anyone else's, its id."""
        url: str | None = f"{self.graph}/v1.0/me/calendarView"
        params: dict[str, str] | None = {
            "startDateTime": _iso(start),
            "endDateTime": _iso(end),
            "$select": "start,end,showAs,isCancelled,transactionId",
            "$top": "100",
        }
        found: list[tuple[str, Interval]] = []
        while url is not None:
            response = await self._send(
                "GET", url, token, retry=False, params=params, headers={"Prefer": 'outlook.timezone="UTC"'}
            )
            body = response.json()
            for item in body.get("value", []):
                if item.get("isCancelled") or item.get("showAs", "busy") not in GRAPH_BUSY:
                    continue
                key = str(item.get("transactionId") or item["id"])
                found.append(
                    (key, Interval(_parse(item["start"]["dateTime"]), _parse(item["end"]["dateTime"])))
                )
            url, params = body.get("@odata.nextLink"), None
        return found

    async def graph_account(self, token: str) -> str:
        """The mailbox address getSchedule is asked about: the owner of the person's own calendar
        (`GET /me/calendar`, allowed by `Calendars.ReadBasic`; `/me` would need `User.Read` too)."""
        response = await self._send("GET", f"{self.graph}/v1.0/me/calendar", token, retry=False)
        return str(response.json()["owner"]["address"])

    # -- session events ---------------------------------------------------------------------------

    async def google_put_event(
        self, token: str, session_id: uuid.UUID, start: datetime, end: datetime
    ) -> str:
        """Insert the session's event under its own id; a repeat (409) confirms the existing one."""
        event_id = google_event_id(session_id)
        body = {
            "id": event_id,
            "summary": EVENT_TITLE,
            "start": {"dateTime": _iso(start), "timeZone": "UTC"},
            "end": {"dateTime": _iso(end), "timeZone": "UTC"},
            "transparency": "opaque",
        }
        events = f"{self.google}/calendar/v3/calendars/primary/events"
        response = await self._send("POST", events, token, retry=True, ok=(409,), json=body)
        if response.status_code == 409:
            # Already there (a retried delivery), or cancelled earlier: the same id comes back confirmed.
            await self._send(
                "PATCH", f"{events}/{event_id}", token, retry=True, json={**body, "status": "confirmed"}
            )
        return event_id

    async def google_delete_event(self, token: str, event_id: str) -> None:
        url = f"{self.google}/calendar/v3/calendars/primary/events/{event_id}"
        await self._send("DELETE", url, token, retry=True, ok=(404, 410))

    async def graph_put_event(self, token: str, session_id: uuid.UUID, start: datetime, end: datetime) -> str:
        """Create the session's event; `transactionId` = the session id makes a retried POST a no-op."""
        body = {
            "subject": EVENT_TITLE,
            "start": {"dateTime": _iso(start).rstrip("Z"), "timeZone": "UTC"},
            "end": {"dateTime": _iso(end).rstrip("Z"), "timeZone": "UTC"},
            "showAs": "busy",
            "transactionId": str(session_id),
        }
        response = await self._send("POST", f"{self.graph}/v1.0/me/events", token, retry=True, json=body)
        return str(response.json()["id"])

    async def graph_delete_event(self, token: str, event_id: str) -> None:
        await self._send("DELETE", f"{self.graph}/v1.0/me/events/{event_id}", token, retry=True, ok=(404,))

    # -- change notifications ---------------------------------------------------------------------

    async def google_watch(
        self, token: str, channel_id: uuid.UUID, address: str, channel_token: str, ttl_seconds: int
    ) -> Watch:
        body = {
            "id": str(channel_id),
            "type": "web_hook",
            "address": address,
            "token": channel_token,
            "params": {"ttl": str(ttl_seconds)},
        }
        url = f"{self.google}/calendar/v3/calendars/primary/events/watch"
        channel = (await self._send("POST", url, token, retry=True, json=body)).json()
        expires = datetime.fromtimestamp(int(channel["expiration"]) / 1000, tz=UTC)
        return Watch(external_id=str(channel["resourceId"]), expires_at=expires)

    async def google_stop(self, token: str, channel_id: uuid.UUID, resource_id: str) -> None:
        body = {"id": str(channel_id), "resourceId": resource_id}
        await self._send(
            "POST", f"{self.google}/calendar/v3/channels/stop", token, retry=True, ok=(404,), json=body
        )

    async def graph_subscribe(
        self,
        token: str,
        *,
        notification_url: str,
        lifecycle_url: str,
        client_state: str,
        expires_at: datetime,
    ) -> Watch:
        body = {
            "changeType": "created,updated,deleted",
            "notificationUrl": notification_url,
            "lifecycleNotificationUrl": lifecycle_url,
            "resource": "me/events",
            "expirationDateTime": _iso(expires_at),
            "clientState": client_state,
        }
        created = (
            await self._send("POST", f"{self.graph}/v1.0/subscriptions", token, retry=True, json=body)
        ).json()
        return Watch(external_id=str(created["id"]), expires_at=_parse(created["expirationDateTime"]))

    async def graph_renew(self, token: str, subscription_id: str, expires_at: datetime) -> Watch:
        """Extend a subscription (this also reauthorizes it after `reauthorizationRequired`)."""
        url = f"{self.graph}/v1.0/subscriptions/{subscription_id}"
        renewed = (
            await self._send("PATCH", url, token, retry=True, json={"expirationDateTime": _iso(expires_at)})
        ).json()
        return Watch(external_id=subscription_id, expires_at=_parse(renewed["expirationDateTime"]))

    async def graph_unsubscribe(self, token: str, subscription_id: str) -> None:
        url = f"{self.graph}/v1.0/subscriptions/{subscription_id}"
        await self._send("DELETE", url, token, retry=True, ok=(404,))
