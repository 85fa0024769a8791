"""A Google Calendar-shaped API over HTTP (tests, `make run`, `make demo`).

Google's real paths and shapes, for people in one Workspace domain, one primary calendar each:
- OAuth 2.0: `GET /o/oauth2/v2/auth` (consents at once as `login_hint`; refresh tokens only with
  `access_type=offline`), `POST /token` (authorization code with PKCE S256, refresh; Google keeps the
  refresh token, it does not rotate), `POST /revoke` (the whole grant).
- `POST /calendar/v3/freeBusy`: merged busy intervals in UTC, opaque and confirmed/tentative events only.
- `/calendar/v3/calendars/{calendarId}/events`: insert (client `id`, 409 `duplicate`), get, patch,
  delete (410 `deleted` twice), list (`maxResults`/`pageToken`, `timeMin`/`timeMax`, `syncToken` with a
  410 `fullSyncRequired` on a stale one), `events/watch` and `POST /calendar/v3/channels/stop`
  (notifications to the channel's address: `X-Goog-Resource-State: sync`, then `exists` on changes,
  with the channel's `X-Goog-Channel-Token`).
- Errors as Google answers them: `{"error": {"code", "message", "errors": [{"domain", "reason",
  "message"}], "status"}}`; 401 `authError` on an expired token, 403 `insufficientPermissions` for a
  scope not granted, 403/429 `rateLimitExceeded` with `Retry-After`, 5xx `backendError`.
Knobs under `/_fake/`: seed events (`POST /_fake/events`), expire tokens, revoke grants, make the next
token requests fail, answer the next API calls with given statuses, invalidate sync tokens.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tandem_devstack.fakes._calendar_oauth import FakeOAuthServer, FaultKnobs

CLIENT_ID = "tandem-dev.apps.googleusercontent.com"
CLIENT_SECRET = "google-fake-secret"
SCOPE = "https://www.googleapis.com/auth/"
FREEBUSY_SCOPES = {
    SCOPE + s for s in ("calendar", "calendar.readonly", "calendar.freebusy", "calendar.events.freebusy")
}
EVENT_SCOPES = {SCOPE + s for s in ("calendar", "calendar.events", "calendar.events.owned")}
EVENT_ID = re.compile(r"^[a-v0-9]{5,1024}$")
MAX_RESULTS = 2500
STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    410: "FAILED_PRECONDITION",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


def google_error(
    status: int, reason: str, message: str, *, domain: str = "global", headers: dict[str, str] | None = None
) -> JSONResponse:
    body = {
        "error": {
            "code": status,
            "message": message,
            "errors": [{"domain": domain, "reason": reason, "message": message}],
            "status": STATUS_NAMES.get(status, "UNKNOWN"),
        }
    }
    return JSONResponse(body, status, headers=headers)


def parse_time(value: str) -> datetime:
    """RFC 3339 with an offset (Google refuses a bare local time in `timeMin`)."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError("time zone offset required")
    return parsed.astimezone(UTC)


def rfc3339(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def bounds(event: dict[str, Any]) -> tuple[datetime, datetime]:
    """An event's start and end in UTC; an all-day event spans its dates in UTC (the calendars' zone)."""

    def one(when: dict[str, Any]) -> datetime:
        if "dateTime" in when:
            return parse_time(when["dateTime"])
        return datetime.fromisoformat(when["date"]).replace(tzinfo=UTC)

    return one(event["start"]), one(event["end"])


@dataclass
class Channel:
    id: str
    resource_id: str
    calendar: str
    address: str
    token: str | None
    expiration_ms: int
    messages: int = 0


@dataclass
class Calendar:
    owner: str
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    changed: dict[str, int] = field(default_factory=dict)  # event id -> change sequence


@dataclass
class Delivery:
    channel_id: str
    state: str
    status: int | None


class FakeGoogleCalendar(FaultKnobs):
    def __init__(
        self,
        *,
        client_id: str = CLIENT_ID,
        client_secret: str = CLIENT_SECRET,
        access_ttl_seconds: int = 3600,
    ) -> None:
        self.oauth = FakeOAuthServer(
            client_id=client_id,
            client_secret=client_secret,
            rotate_refresh_tokens=False,
            invalid_grant_description="Token has been expired or revoked.",
            access_ttl_seconds=access_ttl_seconds,
        )
        # Google hands out a refresh token only to an offline request.
        self.oauth.offline = lambda query: query.get("access_type") == "offline"
        self.calendars: dict[str, Calendar] = {}
        self.channels: dict[str, Channel] = {}
        self.sequence = itertools.count(1)
        self.last_change = 0
        self.oldest_sync = 0  # sync tokens from before this change are stale (410)
        self.faults: list[tuple[int, str | None]] = []  # (status, Retry-After) for the next API calls
        self.api_calls: list[str] = []
        self.deliveries: list[Delivery] = []
        self._sending: set[asyncio.Task[None]] = set()
        self.app = Starlette(
            routes=[
                Route("/o/oauth2/v2/auth", self.oauth.authorize),
                Route("/token", self.oauth.token, methods=["POST"]),
                Route("/revoke", self.oauth.revoke, methods=["POST"]),
                Route("/calendar/v3/freeBusy", self.free_busy, methods=["POST"]),
                Route("/calendar/v3/calendars/{calendar_id}/events", self.list_events, methods=["GET"]),
                Route("/calendar/v3/calendars/{calendar_id}/events", self.insert_event, methods=["POST"]),
                Route("/calendar/v3/calendars/{calendar_id}/events/watch", self.watch, methods=["POST"]),
                Route(
                    "/calendar/v3/calendars/{calendar_id}/events/{event_id}", self.get_event, methods=["GET"]
                ),
                Route(
                    "/calendar/v3/calendars/{calendar_id}/events/{event_id}",
                    self.patch_event,
                    methods=["PATCH", "PUT"],
                ),
                Route(
                    "/calendar/v3/calendars/{calendar_id}/events/{event_id}",
                    self.delete_event,
                    methods=["DELETE"],
                ),
                Route("/calendar/v3/channels/stop", self.stop_channel, methods=["POST"]),
                Route("/_fake/events", self.knob_event, methods=["POST"]),
                Route("/_fake/events", self.knob_list_events, methods=["GET"]),
                Route("/_fake/faults", self.knob_faults, methods=["POST"]),
                Route("/_fake/invalidate-sync-tokens", self.knob_invalidate_sync, methods=["POST"]),
                Route("/_fake/oauth/{action}", self.oauth.knob, methods=["POST"]),
            ]
        )

    # -- store ----------------------------------------------------------------------------------------

    def calendar(self, email: str) -> Calendar:
        return self.calendars.setdefault(email, Calendar(email))

    def _touch(self, calendar: Calendar, event_id: str) -> None:
        self.last_change = next(self.sequence)
        calendar.changed[event_id] = self.last_change
        calendar.events[event_id]["updated"] = rfc3339(datetime.now(UTC))
        self._notify(calendar.owner)

    def put_event(self, user: str, event: dict[str, Any]) -> dict[str, Any]:
        """Store an event in `user`'s primary calendar (a test seeding a meeting); watchers hear of it."""
        calendar = self.calendar(user)
        event_id = event.get("id") or secrets.token_hex(13)
        stored = {
            "kind": "calendar#event",
            "etag": f'"{secrets.token_hex(8)}"',
            "status": "confirmed",
            "created": rfc3339(datetime.now(UTC)),
            "organizer": {"email": user, "self": True},
            "creator": {"email": user, "self": True},
            "transparency": "opaque",
            **event,
            "id": event_id,
            "htmlLink": f"https://www.google.com/calendar/event?eid={event_id}",
            "iCalUID": f"{event_id}@google.com",
        }
        calendar.events[event_id] = stored
        self._touch(calendar, event_id)
        return stored

    def busy(self, user: str, start: datetime, end: datetime) -> list[dict[str, str]]:
        intervals = []
        for event in self.calendar(user).events.values():
            if event.get("status") == "cancelled" or event.get("transparency") == "transparent":
                continue
            s, e = bounds(event)
            s, e = max(s, start), min(e, end)
            if s < e:
                intervals.append((s, e))
        merged: list[list[datetime]] = []
        for s, e in sorted(intervals):
            if merged and s <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], e)
            else:
                merged.append([s, e])
        return [{"start": rfc3339(s), "end": rfc3339(e)} for s, e in merged]

    def live_events(self, user: str) -> list[dict[str, Any]]:
        return [e for e in self.calendar(user).events.values() if e.get("status") != "cancelled"]

    # -- guards ---------------------------------------------------------------------------------------

    def _guard(self, request: Request, scopes: set[str]) -> tuple[str | None, Response | None]:
        self.api_calls.append(f"{request.method} {request.url.path}")
        user = self.oauth.user_of(request)
        if user is None:
            return None, google_error(
                401,
                "authError",
                "Request had invalid authentication credentials. Expected OAuth 2 access "
                "token, login cookie or other valid authentication credential.",
                headers={
                    "WWW-Authenticate": 'Bearer realm="https://accounts.google.com/", error="invalid_token"'
                },
            )
        if self.faults:
            status, retry_after = self.faults.pop(0)
            headers = {"Retry-After": retry_after} if retry_after else None
            if status in (403, 429):
                return None, google_error(
                    status, "rateLimitExceeded", "Rate Limit Exceeded", domain="usageLimits", headers=headers
                )
            return None, google_error(status, "backendError", "Backend Error", headers=headers)
        if not scopes & set(self.oauth.scopes_of(request)):
            return None, google_error(
                403, "insufficientPermissions", "Request had insufficient authentication scopes."
            )
        return user, None

    def _own_calendar(self, user: str, calendar_id: str) -> Calendar | None:
        return self.calendar(user) if calendar_id in ("primary", user) else None

    # -- freeBusy -------------------------------------------------------------------------------------

    async def free_busy(self, request: Request) -> Response:
        user, refused = self._guard(request, FREEBUSY_SCOPES)
        if refused is not None:
            return refused
        assert user is not None
        try:
            body = await request.json()
            start, end = parse_time(body["timeMin"]), parse_time(body["timeMax"])
            items = [str(item["id"]) for item in body.get("items", [])]
        except (ValueError, KeyError, TypeError):
            return google_error(400, "badRequest", "Bad Request")
        if end <= start:
            return google_error(400, "timeRangeEmpty", "The specified time range is empty.")
        if end - start > timedelta(days=62):  # Google's limit on one query's window
            return google_error(400, "timeRangeTooLong", "The requested time range is too long.")
        domain = user.partition("@")[2]
        calendars: dict[str, Any] = {}
        for calendar_id in items:
            email = user if calendar_id == "primary" else calendar_id
            if email.partition("@")[2] != domain:
                calendars[calendar_id] = {"errors": [{"domain": "global", "reason": "notFound"}], "busy": []}
            else:
                calendars[calendar_id] = {"busy": self.busy(email, start, end)}
        return JSONResponse(
            {
                "kind": "calendar#freeBusy",
                "timeMin": rfc3339(start),
                "timeMax": rfc3339(end),
                "calendars": calendars,
            }
        )

    # -- events ---------------------------------------------------------------------------------------

    async def insert_event(self, request: Request) -> Response:
        user, refused = self._guard(request, EVENT_SCOPES)
        if refused is not None:
            return refused
        assert user is not None
        calendar = self._own_calendar(user, request.path_params["calendar_id"])
        if calendar is None:
            return google_error(404, "notFound", "Not Found")
        try:
            body = await request.json()
            bounds(body)
        except (ValueError, KeyError, TypeError):
            return google_error(400, "badRequest", "Bad Request")
        event_id = body.get("id")
        if event_id is not None:
            if not EVENT_ID.match(str(event_id)):
                return google_error(400, "invalid", "Invalid resource id value.")
            if event_id in calendar.events:
                return google_error(409, "duplicate", "The requested identifier already exists.")
        return JSONResponse(self.put_event(user, body))

    async def get_event(self, request: Request) -> Response:
        user, refused = self._guard(request, EVENT_SCOPES)
        if refused is not None:
            return refused
        assert user is not None
        calendar = self._own_calendar(user, request.path_params["calendar_id"])
        event = calendar.events.get(request.path_params["event_id"]) if calendar else None
        if event is None:
            return google_error(404, "notFound", "Not Found")
        return JSONResponse(event)  # a deleted event still answers, with status "cancelled"

    async def patch_event(self, request: Request) -> Response:
        user, refused = self._guard(request, EVENT_SCOPES)
        if refused is not None:
            return refused
        assert user is not None
        calendar = self._own_calendar(user, request.path_params["calendar_id"])
        event_id = request.path_params["event_id"]
        event = calendar.events.get(event_id) if calendar else None
        if calendar is None or event is None:
            return google_error(404, "notFound", "Not Found")
        try:
            body = await request.json()
            changed = (
                {**event, **body, "id": event_id} if request.method == "PATCH" else {**body, "id": event_id}
            )
            bounds(changed)
        except (ValueError, KeyError, TypeError):
            return google_error(400, "badRequest", "Bad Request")
        changed["etag"] = f'"{secrets.token_hex(8)}"'
        calendar.events[event_id] = changed
        self._touch(calendar, event_id)
        return JSONResponse(changed)

    async def delete_event(self, request: Request) -> Response:
        user, refused = self._guard(request, EVENT_SCOPES)
        if refused is not None:
            return refused
        assert user is not None
        calendar = self._own_calendar(user, request.path_params["calendar_id"])
        event_id = request.path_params["event_id"]
        event = calendar.events.get(event_id) if calendar else None
        if calendar is None or event is None:
            return google_error(404, "notFound", "Not Found")
        if event.get("status") == "cancelled":
            return google_error(410, "deleted", "Resource has been deleted")
        event["status"] = "cancelled"
        self._touch(calendar, event_id)
        return Response(status_code=204)

    async def list_events(self, request: Request) -> Response:
        user, refused = self._guard(request, EVENT_SCOPES)
        if refused is not None:
            return refused
        assert user is not None
        calendar = self._own_calendar(user, request.path_params["calendar_id"])
        if calendar is None:
            return google_error(404, "notFound", "Not Found")
        query = request.query_params
        try:
            limit = min(int(query.get("maxResults", "250")), MAX_RESULTS)
            offset = int(query.get("pageToken", "0") or 0)
            time_min = parse_time(query["timeMin"]) if "timeMin" in query else None
            time_max = parse_time(query["timeMax"]) if "timeMax" in query else None
            since = None
            if "syncToken" in query:
                if time_min or time_max:
                    return google_error(400, "invalid", "syncToken cannot be used with timeMin or timeMax.")
                since = int(query["syncToken"].removeprefix("sync-"))
        except ValueError:
            return google_error(400, "invalid", "Invalid value.")
        if limit < 1:
            return google_error(400, "invalid", "Invalid value for maxResults.")
        if since is not None and since < self.oldest_sync:
            return google_error(
                410, "fullSyncRequired", "Sync token is no longer valid, a full sync is required."
            )
        show_deleted = since is not None or query.get("showDeleted") == "true"
        chosen = []
        for event_id, event in calendar.events.items():
            if since is not None and calendar.changed.get(event_id, 0) <= since:
                continue
            if event.get("status") == "cancelled" and not show_deleted:
                continue
            start, end = bounds(event)
            if (time_min and end <= time_min) or (time_max and start >= time_max):
                continue
            chosen.append(event)
        chosen.sort(key=lambda e: (bounds(e)[0], e["id"]))
        page = chosen[offset : offset + limit]
        body: dict[str, Any] = {
            "kind": "calendar#events",
            "summary": user,
            "timeZone": "UTC",
            "updated": rfc3339(datetime.now(UTC)),
            "items": page,
        }
        if offset + limit < len(chosen):
            body["nextPageToken"] = str(offset + limit)
        else:
            body["nextSyncToken"] = f"sync-{self.last_change}"
        return JSONResponse(body)

    # -- push notifications ---------------------------------------------------------------------------

    async def watch(self, request: Request) -> Response:
        user, refused = self._guard(request, EVENT_SCOPES)
        if refused is not None:
            return refused
        assert user is not None
        calendar_id = request.path_params["calendar_id"]
        if self._own_calendar(user, calendar_id) is None:
            return google_error(404, "notFound", "Not Found")
        try:
            body = await request.json()
            channel_id, address = str(body["id"]), str(body["address"])
            if body.get("type") not in ("web_hook", "webhook"):
                raise ValueError("type")
            ttl = int((body.get("params") or {}).get("ttl", 604800))
        except (ValueError, KeyError, TypeError):
            return google_error(400, "badRequest", "Bad Request")
        if channel_id in self.channels:
            return google_error(400, "channelIdNotUnique", "Channel id not unique.")
        if not address.startswith(("https://", "http://")):
            return google_error(400, "push.webhookUrlNotHttps", "WebHook callback must be HTTPS.")
        expiration = int(time.time() * 1000) + min(ttl, 2592000) * 1000
        channel = Channel(channel_id, secrets.token_hex(12), user, address, body.get("token"), expiration)
        self.channels[channel_id] = channel
        self._send(channel, "sync")
        return JSONResponse(
            {
                "kind": "api#channel",
                "id": channel_id,
                "resourceId": channel.resource_id,
                "resourceUri": f"https://www.googleapis.com/calendar/v3/calendars/{quote(calendar_id)}/events?alt=json",
                **({"token": channel.token} if channel.token else {}),
                "expiration": str(expiration),
            }
        )

    async def stop_channel(self, request: Request) -> Response:
        user, refused = self._guard(request, EVENT_SCOPES)
        if refused is not None:
            return refused
        body = await request.json()
        channel = self.channels.get(str(body.get("id")))
        if channel is None or channel.resource_id != body.get("resourceId") or channel.calendar != user:
            return google_error(404, "notFound", f"Channel '{body.get('id')}' not found for project")
        del self.channels[channel.id]
        return Response(status_code=204)

    def _notify(self, owner: str) -> None:
        now_ms = int(time.time() * 1000)
        for channel in list(self.channels.values()):
            if channel.calendar == owner and channel.expiration_ms > now_ms:
                self._send(channel, "exists")

    def _send(self, channel: Channel, state: str) -> None:
        channel.messages += 1
        headers = {
            "X-Goog-Channel-ID": channel.id,
            "X-Goog-Message-Number": str(channel.messages),
            "X-Goog-Resource-ID": channel.resource_id,
            "X-Goog-Resource-State": state,
            "X-Goog-Resource-URI": f"https://www.googleapis.com/calendar/v3/calendars/{quote(channel.calendar)}/events?alt=json",
            "X-Goog-Channel-Expiration": datetime.fromtimestamp(channel.expiration_ms / 1000, UTC).strftime(
                "%a, %d %b %Y %H:%M:%S GMT"
            ),
            **({"X-Goog-Channel-Token": channel.token} if channel.token else {}),
        }
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # seeded from synchronous test code: nobody to deliver with
            return
        task = loop.create_task(self._post(channel, state, headers))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _post(self, channel: Channel, state: str, headers: dict[str, str]) -> None:
        status = None
        try:
            async with httpx.AsyncClient(timeout=10) as client:
                status = (await client.post(channel.address, headers=headers, content=b"")).status_code
        except httpx.HTTPError:
            status = None
        self.deliveries.append(Delivery(channel.id, state, status))

    async def drain(self) -> None:
        """Wait until every notification sent so far was delivered (or failed)."""
        while self._sending:
            await asyncio.gather(*list(self._sending))

    # -- knobs ----------------------------------------------------------------------------------------

    async def knob_event(self, request: Request) -> Response:
        """`POST /_fake/events` `{"user", "start", "end", "summary"?, "transparency"?}`: a meeting."""
        body = await request.json()
        event = self.put_event(
            str(body["user"]),
            {
                "summary": body.get("summary", "Busy"),
                "start": {"dateTime": body["start"]},
                "end": {"dateTime": body["end"]},
                "transparency": body.get("transparency", "opaque"),
            },
        )
        return JSONResponse(event, 201)

    async def knob_list_events(self, request: Request) -> Response:
        """`GET /_fake/events?user=`: every event in the user's primary calendar (a demo checks its writes)."""
        calendar = self.calendars.get(request.query_params.get("user", ""))
        return JSONResponse({"items": list(calendar.events.values()) if calendar else []})

    def invalidate_sync_tokens(self) -> None:
        self.oldest_sync = self.last_change + 1

    async def knob_invalidate_sync(self, _request: Request) -> Response:
        self.invalidate_sync_tokens()
        return Response(status_code=204)


def create_app() -> Starlette:
    """`uvicorn tandem_devstack.fakes.google_calendar:create_app --factory` (what devstack runs)."""
    return FakeGoogleCalendar().app
