"""A Microsoft Graph (calendar) and Microsoft identity platform-shaped API over HTTP (tests, `make run`,
`make demo`).

Graph's real paths and shapes for the people of one tenant, one default calendar each:
- OAuth 2.0 (v2.0 endpoints): `GET /{tenant}/oauth2/v2.0/authorize` (consents at once as
  `login_hint`; a refresh token only with `offline_access`), `POST /{tenant}/oauth2/v2.0/token`
  (authorization code with PKCE S256; every refresh answers a new refresh token and the used one dies).
  Microsoft has no revocation endpoint for a client.
- `POST /v1.0/me/calendar/getSchedule` and `/v1.0/users/{id}/calendar/getSchedule`: schedule items with
  `status` busy/tentative/oof/workingElsewhere, times in UTC unless `Prefer: outlook.timezone="..."`.
- `/v1.0/me/events` (and `/v1.0/users/{id}/events`): create (a repeated `transactionId` answers the event
  it already made), get, patch, delete, list paged by `$top`/`$skip` with `@odata.nextLink`.
- `POST /v1.0/subscriptions` (validation handshake: the `notificationUrl` and `lifecycleNotificationUrl`
  must echo `validationToken` as text/plain within 10 s), `PATCH` to renew, `DELETE`; change
  notifications carry `clientState`; lifecycle notifications (`reauthorizationRequired`,
  `subscriptionRemoved`, `missed`) on demand.
- Errors as Graph answers them: `{"error": {"code", "message", "innerError"}}`; 401
  `InvalidAuthenticationToken`, 403 `ErrorAccessDenied` for a scope not granted, 429 `TooManyRequests`
  and 503 `ServiceUnavailable` with `Retry-After`.
Knobs under `/_fake/`: seed events, expire tokens, revoke grants, failing token requests, failing API
calls, lifecycle notifications.
"""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tandem_devstack.fakes._calendar_oauth import FakeOAuthServer, FaultKnobs

TENANT = "organizations"
CLIENT_ID = "00000000-0000-4000-8000-00000000ca1e"
CLIENT_SECRET = "microsoft-fake-secret"
GRAPH = "https://graph.microsoft.com/"
READ_SCOPES = {"Calendars.ReadBasic", "Calendars.Read", "Calendars.ReadWrite"}
WRITE_SCOPES = {"Calendars.ReadWrite"}
BUSY_STATES = ("busy", "tentative", "oof", "workingElsewhere")
# availabilityView digits: 0 free, 1 tentative, 2 busy, 3 out of office, 4 working elsewhere.
VIEW_CODES = {"tentative": 1, "busy": 2, "oof": 3, "workingElsewhere": 4}
MAX_SUBSCRIPTION = timedelta(minutes=10080)  # Outlook resources: at most 7 days
PAGE_SIZE = 10
VALIDATION_TIMEOUT = 10.0


def graph_error(
    status: int, code: str, message: str, *, headers: dict[str, str] | None = None
) -> JSONResponse:
    inner = {
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
        "request-id": str(uuid.uuid4()),
        "client-request-id": str(uuid.uuid4()),
    }
    return JSONResponse(
        {"error": {"code": code, "message": message, "innerError": inner}}, status, headers=headers
    )


def zone(name: str) -> ZoneInfo:
    return ZoneInfo("UTC" if name in ("UTC", "Coordinated Universal Time", "") else name)


def parse_when(when: dict[str, Any]) -> datetime:
    """A Graph `dateTimeTimeZone`: a local date-time and the zone it is in."""
    local = datetime.fromisoformat(str(when["dateTime"]).rstrip("Z")[:26])
    if local.tzinfo is None:
        local = local.replace(tzinfo=zone(str(when.get("timeZone", "UTC"))))
    return local.astimezone(UTC)


def graph_when(value: datetime, tz: ZoneInfo) -> dict[str, str]:
    local = value.astimezone(tz)
    return {"dateTime": local.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": str(tz.key)}


@dataclass
class User:
    id: str
    mail: str
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    transactions: dict[str, str] = field(default_factory=dict)  # transactionId -> event id


@dataclass
class Subscription:
    id: str
    user: str
    resource: str
    change_type: str
    notification_url: str
    lifecycle_url: str | None
    client_state: str | None
    expires_at: datetime


@dataclass
class Delivery:
    subscription_id: str
    kind: str  # created/updated/deleted or a lifecycle event
    status: int | None


class FakeMicrosoftGraph(FaultKnobs):
    def __init__(
        self,
        *,
        tenant: str = TENANT,
        client_id: str = CLIENT_ID,
        client_secret: str = CLIENT_SECRET,
        access_ttl_seconds: int = 3600,
        tenant_id: str | None = None,
    ) -> None:
        self.tenant = tenant
        self.tenant_id = tenant_id or str(uuid.uuid4())
        self.oauth = FakeOAuthServer(
            client_id=client_id,
            client_secret=client_secret,
            rotate_refresh_tokens=True,
            invalid_grant_description="AADSTS70000: The provided grant has expired due to it being revoked, "
            "a fresh auth token is needed. The user might have changed or reset their password.",
            access_ttl_seconds=access_ttl_seconds,
            offline=lambda query: "offline_access" in query.get("scope", "").split(),
        )
        self.users: dict[str, User] = {}  # by mail
        self.subscriptions: dict[str, Subscription] = {}
        self.faults: list[tuple[int, str | None]] = []
        self.api_calls: list[str] = []
        self.deliveries: list[Delivery] = []
        self._sending: set[asyncio.Task[None]] = set()
        base = f"/{tenant}/oauth2/v2.0"
        self.app = Starlette(
            routes=[
                Route(f"{base}/authorize", self.oauth.authorize),
                Route(f"{base}/token", self.oauth.token, methods=["POST"]),
                Route("/v1.0/me", self.me),
                Route("/v1.0/me/calendar", self.my_calendar),
                Route("/v1.0/me/calendar/getSchedule", self.get_schedule, methods=["POST"]),
                Route("/v1.0/users/{user}/calendar/getSchedule", self.get_schedule, methods=["POST"]),
                Route("/v1.0/me/events", self.list_events, methods=["GET"]),
                Route("/v1.0/me/calendarView", self.calendar_view, methods=["GET"]),
                Route("/v1.0/me/calendar/calendarView", self.calendar_view, methods=["GET"]),
                Route("/v1.0/me/events", self.create_event, methods=["POST"]),
                Route("/v1.0/me/calendar/events", self.create_event, methods=["POST"]),
                Route("/v1.0/users/{user}/events", self.list_events, methods=["GET"]),
                Route("/v1.0/users/{user}/events", self.create_event, methods=["POST"]),
                Route("/v1.0/me/events/{event_id}", self.get_event, methods=["GET"]),
                Route("/v1.0/me/events/{event_id}", self.patch_event, methods=["PATCH"]),
                Route("/v1.0/me/events/{event_id}", self.delete_event, methods=["DELETE"]),
                Route("/v1.0/users/{user}/events/{event_id}", self.get_event, methods=["GET"]),
                Route("/v1.0/users/{user}/events/{event_id}", self.patch_event, methods=["PATCH"]),
                Route("/v1.0/users/{user}/events/{event_id}", self.delete_event, methods=["DELETE"]),
                Route("/v1.0/subscriptions", self.create_subscription, methods=["POST"]),
                Route("/v1.0/subscriptions/{sid}", self.get_subscription, methods=["GET"]),
                Route("/v1.0/subscriptions/{sid}", self.renew_subscription, methods=["PATCH"]),
                Route("/v1.0/subscriptions/{sid}", self.delete_subscription, methods=["DELETE"]),
                Route("/_fake/events", self.knob_event, methods=["POST"]),
                Route("/_fake/events", self.knob_list_events, methods=["GET"]),
                Route("/_fake/faults", self.knob_faults, methods=["POST"]),
                Route("/_fake/lifecycle", self.knob_lifecycle, methods=["POST"]),
                Route("/_fake/oauth/{action}", self.oauth.knob, methods=["POST"]),
            ]
        )

    # -- store ----------------------------------------------------------------------------------------

    def user(self, mail: str) -> User:
        if mail not in self.users:
            self.users[mail] = User(str(uuid.uuid5(uuid.NAMESPACE_DNS, mail)), mail)
        return self.users[mail]

    def _find_user(self, ref: str) -> User | None:
        for user in self.users.values():
            if ref in (user.id, user.mail):
                return user
        return self.user(ref) if "@" in ref else None

    def put_event(self, mail: str, event: dict[str, Any]) -> dict[str, Any]:
        """Store an event in `mail`'s calendar (a test seeding a meeting); subscribers hear of it."""
        user = self.user(mail)
        event_id = "AAMkAD" + secrets.token_urlsafe(24)
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        stored = {
            "@odata.etag": f'W/"{secrets.token_hex(8)}"',
            "id": event_id,
            "createdDateTime": now,
            "lastModifiedDateTime": now,
            "isCancelled": False,
            "showAs": "busy",
            "subject": "",
            "organizer": {"emailAddress": {"address": mail}},
            **event,
        }
        stored["id"] = event_id
        user.events[event_id] = stored
        self._notify(user, "created", event_id)
        return stored

    def busy_items(self, mail: str, start: datetime, end: datetime) -> list[tuple[datetime, datetime, str]]:
        items = []
        for event in self.user(mail).events.values():
            if event.get("isCancelled") or event.get("showAs", "busy") not in BUSY_STATES:
                continue
            s, e = parse_when(event["start"]), parse_when(event["end"])
            if s < end and e > start:
                items.append((s, e, str(event.get("showAs", "busy"))))
        return sorted(items)

    def live_events(self, mail: str) -> list[dict[str, Any]]:
        return [e for e in self.user(mail).events.values() if not e.get("isCancelled")]

    # -- guards ---------------------------------------------------------------------------------------

    def _guard(self, request: Request, scopes: set[str]) -> tuple[User | None, Response | None]:
        self.api_calls.append(f"{request.method} {request.url.path}")
        mail = self.oauth.user_of(request)
        if mail is None:
            return None, graph_error(
                401,
                "InvalidAuthenticationToken",
                "Access token has expired or is not yet valid.",
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        if self.faults:
            status, retry_after = self.faults.pop(0)
            headers = {"Retry-After": retry_after} if retry_after else None
            if status == 429:
                return None, graph_error(429, "TooManyRequests", "Too many requests.", headers=headers)
            return None, graph_error(status, "ServiceUnavailable", "Service unavailable.", headers=headers)
        granted = {s.removeprefix(GRAPH) for s in self.oauth.scopes_of(request)}
        if not scopes & granted:
            return None, graph_error(
                403, "ErrorAccessDenied", "Access is denied. Check credentials and try again."
            )
        return self.user(mail), None

    def _target(self, request: Request, caller: User) -> User | None:
        """`/me` or `/users/{id}`: a delegated token reaches only its own mailbox's events."""
        ref = request.path_params.get("user")
        if ref is None:
            return caller
        target = self._find_user(ref)
        return target if target is caller else None

    def _out_zone(self, request: Request) -> ZoneInfo:
        prefer = request.headers.get("prefer", "")
        for part in prefer.split(","):
            name, _, value = part.strip().partition("=")
            if name.strip() == "outlook.timezone":
                try:
                    return zone(value.strip().strip('"'))
                except (ZoneInfoNotFoundError, ValueError):
                    break
        return zone("UTC")

    def _shape(self, event: dict[str, Any], tz: ZoneInfo) -> dict[str, Any]:
        return {
            **event,
            "start": graph_when(parse_when(event["start"]), tz),
            "end": graph_when(parse_when(event["end"]), tz),
        }

    # -- the signed-in user -----------------------------------------------------------------------------

    async def me(self, request: Request) -> Response:
        """`GET /me` (needs `User.Read`): the profile, whose `mail` getSchedule is asked about."""
        caller, refused = self._guard(request, {"User.Read", "User.ReadBasic.All", "User.Read.All"})
        if refused is not None:
            return refused
        assert caller is not None
        return JSONResponse(
            {
                "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users/$entity",
                "id": caller.id,
                "mail": caller.mail,
                "userPrincipalName": caller.mail,
                "displayName": caller.mail.partition("@")[0].title(),
            }
        )

    async def my_calendar(self, request: Request) -> Response:
        """`GET /me/calendar` (any Calendars.* permission): the default calendar and its owner's address."""
        caller, refused = self._guard(request, READ_SCOPES)
        if refused is not None:
            return refused
        assert caller is not None
        return JSONResponse(
            {
                "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users('me')/calendar/$entity",
                "id": "AAMkAGI2" + caller.id.replace("-", ""),
                "name": "Calendar",
                "canEdit": True,
                "owner": {"name": caller.mail.partition("@")[0].title(), "address": caller.mail},
            }
        )

    # -- getSchedule ----------------------------------------------------------------------------------

    async def get_schedule(self, request: Request) -> Response:
        caller, refused = self._guard(request, READ_SCOPES)
        if refused is not None:
            return refused
        assert caller is not None
        if "user" in request.path_params and self._target(request, caller) is None:
            return graph_error(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
        try:
            body = await request.json()
            start, end = parse_when(body["startTime"]), parse_when(body["endTime"])
            schedules = [str(s) for s in body["schedules"]]
            interval = int(body.get("availabilityViewInterval", 30))
        except (ValueError, KeyError, TypeError, ZoneInfoNotFoundError):
            return graph_error(400, "ErrorInvalidRequest", "The request is invalid.")
        if end <= start or not 5 <= interval <= 1440 or len(schedules) > 100:
            return graph_error(400, "ErrorInvalidParameter", "The value of a parameter is invalid.")
        if end - start > timedelta(days=62):
            return graph_error(400, "ErrorInvalidTimeInterval", "The time interval is longer than 62 days.")
        tz = self._out_zone(request)
        domain = caller.mail.partition("@")[2]
        value: list[dict[str, Any]] = []
        for mail in schedules:
            if mail.partition("@")[2] != domain:
                value.append(
                    {
                        "scheduleId": mail,
                        "availabilityView": "",
                        "scheduleItems": [],
                        "error": {
                            "message": "The specified object was not found in the store., The process failed to get "
                            "the correct properties.",
                            "responseCode": "ErrorMailboxNotFound",
                        },
                    }
                )
                continue
            items = self.busy_items(mail, start, end)
            view = []
            slot = start
            while slot < end:
                slot_end = slot + timedelta(minutes=interval)
                codes = [VIEW_CODES[st] for s, e, st in items if s < slot_end and e > slot]
                view.append(str(max(codes)) if codes else "0")
                slot = slot_end
            value.append(
                {
                    "scheduleId": mail,
                    "availabilityView": "".join(view),
                    "scheduleItems": [
                        {
                            "isPrivate": False,
                            "status": st,
                            "start": graph_when(s, tz),
                            "end": graph_when(e, tz),
                        }
                        for s, e, st in items
                    ],
                    "workingHours": {
                        "daysOfWeek": ["monday", "tuesday", "wednesday", "thursday", "friday"],
                        "startTime": "08:00:00.0000000",
                        "endTime": "17:00:00.0000000",
                        "timeZone": {"name": "UTC"},
                    },
                }
            )
        return JSONResponse(
            {
                "@odata.context": "https://graph.microsoft.com/v1.0/$metadata"
                "#Collection(microsoft.graph.scheduleInformation)",
                "value": value,
            }
        )

    # -- events ---------------------------------------------------------------------------------------

    async def create_event(self, request: Request) -> Response:
        caller, refused = self._guard(request, WRITE_SCOPES)
        if refused is not None:
            return refused
        assert caller is not None
        user = self._target(request, caller)
        if user is None:
            return graph_error(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
        try:
            body = await request.json()
            parse_when(body["start"])
            parse_when(body["end"])
        except (ValueError, KeyError, TypeError, ZoneInfoNotFoundError):
            return graph_error(400, "ErrorInvalidRequest", "The request is invalid.")
        tz = self._out_zone(request)
        transaction = body.get("transactionId")
        if transaction and transaction in user.transactions:
            # A retried create: the event made the first time, not a second one.
            return JSONResponse(self._shape(user.events[user.transactions[transaction]], tz), 201)
        event = self.put_event(user.mail, body)
        if transaction:
            user.transactions[str(transaction)] = event["id"]
        return JSONResponse(self._shape(event, tz), 201)

    def _event_of(self, request: Request, caller: User) -> tuple[User | None, dict[str, Any] | None]:
        user = self._target(request, caller)
        event = user.events.get(request.path_params["event_id"]) if user else None
        return user, event

    @staticmethod
    def _not_found() -> JSONResponse:
        return graph_error(404, "ErrorItemNotFound", "The specified object was not found in the store.")

    async def get_event(self, request: Request) -> Response:
        caller, refused = self._guard(request, READ_SCOPES)
        if refused is not None:
            return refused
        assert caller is not None
        _, event = self._event_of(request, caller)
        if event is None:
            return self._not_found()
        return JSONResponse(self._shape(event, self._out_zone(request)))

    async def patch_event(self, request: Request) -> Response:
        caller, refused = self._guard(request, WRITE_SCOPES)
        if refused is not None:
            return refused
        assert caller is not None
        user, event = self._event_of(request, caller)
        if user is None or event is None:
            return self._not_found()
        try:
            body = await request.json()
            changed = {**event, **body, "id": event["id"]}
            parse_when(changed["start"])
            parse_when(changed["end"])
        except (ValueError, KeyError, TypeError, ZoneInfoNotFoundError):
            return graph_error(400, "ErrorInvalidRequest", "The request is invalid.")
        changed["@odata.etag"] = f'W/"{secrets.token_hex(8)}"'
        changed["lastModifiedDateTime"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        user.events[event["id"]] = changed
        self._notify(user, "updated", event["id"])
        return JSONResponse(self._shape(changed, self._out_zone(request)))

    async def delete_event(self, request: Request) -> Response:
        caller, refused = self._guard(request, WRITE_SCOPES)
        if refused is not None:
            return refused
        assert caller is not None
        user, event = self._event_of(request, caller)
        if user is None or event is None:
            return self._not_found()
        del user.events[event["id"]]
        self._notify(user, "deleted", event["id"])
        return Response(status_code=204)

    async def list_events(self, request: Request) -> Response:
        caller, refused = self._guard(request, READ_SCOPES)
        if refused is not None:
            return refused
        assert caller is not None
        user = self._target(request, caller)
        if user is None:
            return graph_error(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
        try:
            top = min(int(request.query_params.get("$top", str(PAGE_SIZE))), 1000)
            skip = int(request.query_params.get("$skip", "0"))
        except ValueError:
            return graph_error(400, "BadRequest", "Invalid $top or $skip.")
        return self._page(request, "events", user.events.values(), top, skip)

    def _page(
        self, request: Request, collection: str, events: Iterable[dict[str, Any]], top: int, skip: int
    ) -> Response:
        """Events by start time, `top` after `skip`, shaped in the `Prefer`red zone, with the next link."""
        tz = self._out_zone(request)
        ordered = sorted(events, key=lambda e: (parse_when(e["start"]), e["id"]))
        body: dict[str, Any] = {
            "@odata.context": f"https://graph.microsoft.com/v1.0/$metadata#users('me')/{collection}",
            "value": [self._shape(e, tz) for e in ordered[skip : skip + top]],
        }
        if skip + top < len(ordered):
            body["@odata.nextLink"] = str(
                request.url.include_query_params(**{"$top": top, "$skip": skip + top})
            )
        return JSONResponse(body)

    async def calendar_view(self, request: Request) -> Response:
        """`GET /me/calendarView?startDateTime=&endDateTime=`: the events overlapping the window (Graph
        requires both bounds: 400 `ErrorInvalidParameter` without them), paged by `@odata.nextLink`."""
        caller, refused = self._guard(request, READ_SCOPES)
        if refused is not None:
            return refused
        assert caller is not None
        query = request.query_params
        if "startDateTime" not in query or "endDateTime" not in query:
            return graph_error(
                400,
                "ErrorInvalidParameter",
                "This request requires a time window specified by the query string parameters "
                "StartDateTime and EndDateTime.",
            )
        try:
            start = parse_when({"dateTime": query["startDateTime"], "timeZone": "UTC"})
            end = parse_when({"dateTime": query["endDateTime"], "timeZone": "UTC"})
            top = min(int(query.get("$top", str(PAGE_SIZE))), 1000)
            skip = int(query.get("$skip", "0"))
        except ValueError:
            return graph_error(400, "ErrorInvalidParameter", "Invalid time window or paging parameter.")
        overlapping = (
            e for e in caller.events.values() if parse_when(e["start"]) < end and parse_when(e["end"]) > start
        )
        return self._page(request, "calendarView", overlapping, top, skip)

    # -- subscriptions --------------------------------------------------------------------------------

    async def _validate(self, url: str) -> bool:
        token = secrets.token_urlsafe(24)
        try:
            async with httpx.AsyncClient(timeout=VALIDATION_TIMEOUT) as client:
                response = await client.post(
                    url,
                    params={"validationToken": token},
                    headers={"Content-Type": "text/plain; charset=utf-8"},
                )
        except httpx.HTTPError:
            return False
        return (
            response.status_code == 200
            and response.text == token
            and response.headers.get("content-type", "").startswith("text/plain")
        )

    def _subscription_json(self, sub: Subscription) -> dict[str, Any]:
        return {
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#subscriptions/$entity",
            "id": sub.id,
            "resource": sub.resource,
            "applicationId": self.oauth.client_id,
            "changeType": sub.change_type,
            "clientState": sub.client_state,
            "notificationUrl": sub.notification_url,
            "lifecycleNotificationUrl": sub.lifecycle_url,
            "expirationDateTime": sub.expires_at.strftime("%Y-%m-%dT%H:%M:%S.0000000Z"),
            "creatorId": self.users[sub.user].id,
            "latestSupportedTlsVersion": "v1_2",
            "notificationContentType": None,
            "includeResourceData": False,
        }

    async def create_subscription(self, request: Request) -> Response:
        caller, refused = self._guard(request, READ_SCOPES)
        if refused is not None:
            return refused
        assert caller is not None
        try:
            body = await request.json()
            resource = str(body["resource"]).strip("/")
            notification_url = str(body["notificationUrl"])
            change_type = str(body["changeType"])
            expires = datetime.fromisoformat(str(body["expirationDateTime"]).replace("Z", "+00:00"))
        except (ValueError, KeyError, TypeError):
            return graph_error(400, "InvalidRequest", "The request is invalid.")
        owner = caller.mail
        if resource.lower() not in ("me/events", f"users/{caller.id}/events", f"users/{caller.mail}/events"):
            return graph_error(
                403,
                "ExtensionError",
                "Operation: Create; Exception: [Status Code: Forbidden; Reason: Access is denied.]",
            )
        if not set(change_type.split(",")) <= {"created", "updated", "deleted"}:
            return graph_error(400, "InvalidRequest", "Invalid changeType.")
        now = datetime.now(UTC)
        if expires <= now or expires - now > MAX_SUBSCRIPTION:
            return graph_error(
                400, "InvalidRequest", "Subscription expiration can only be 10080 minutes in the future."
            )
        lifecycle_url = body.get("lifecycleNotificationUrl")
        for url in filter(None, (notification_url, lifecycle_url)):
            if not await self._validate(str(url)):
                return graph_error(
                    400,
                    "InvalidRequest",
                    "Subscription validation request failed. Notification "
                    "endpoint must respond with 200 OK to validation request.",
                )
        sub = Subscription(
            str(uuid.uuid4()),
            owner,
            body["resource"],
            change_type,
            notification_url,
            str(lifecycle_url) if lifecycle_url else None,
            body.get("clientState"),
            expires,
        )
        self.subscriptions[sub.id] = sub
        return JSONResponse(self._subscription_json(sub), 201)

    def _subscription_of(self, request: Request, caller: User) -> Subscription | None:
        sub = self.subscriptions.get(request.path_params["sid"])
        return sub if sub is not None and sub.user == caller.mail else None

    async def get_subscription(self, request: Request) -> Response:
        caller, refused = self._guard(request, READ_SCOPES)
        if refused is not None:
            return refused
        assert caller is not None
        sub = self._subscription_of(request, caller)
        if sub is None:
            return graph_error(404, "ResourceNotFound", "The object was not found.")
        return JSONResponse(self._subscription_json(sub))

    async def renew_subscription(self, request: Request) -> Response:
        caller, refused = self._guard(request, READ_SCOPES)
        if refused is not None:
            return refused
        assert caller is not None
        sub = self._subscription_of(request, caller)
        if sub is None:
            return graph_error(404, "ResourceNotFound", "The object was not found.")
        try:
            expires = datetime.fromisoformat(
                str((await request.json())["expirationDateTime"]).replace("Z", "+00:00")
            )
        except (ValueError, KeyError, TypeError):
            return graph_error(400, "InvalidRequest", "The request is invalid.")
        now = datetime.now(UTC)
        if expires <= now or expires - now > MAX_SUBSCRIPTION:
            return graph_error(
                400, "InvalidRequest", "Subscription expiration can only be 10080 minutes in the future."
            )
        sub.expires_at = expires
        return JSONResponse(self._subscription_json(sub))

    async def delete_subscription(self, request: Request) -> Response:
        caller, refused = self._guard(request, READ_SCOPES)
        if refused is not None:
            return refused
        assert caller is not None
        sub = self._subscription_of(request, caller)
        if sub is None:
            return graph_error(404, "ResourceNotFound", "The object was not found.")
        del self.subscriptions[sub.id]
        return Response(status_code=204)

    # -- notifications --------------------------------------------------------------------------------

    def _notify(self, user: User, change: str, event_id: str) -> None:
        now = datetime.now(UTC)
        for sub in list(self.subscriptions.values()):
            if sub.user != user.mail or sub.expires_at <= now or change not in sub.change_type.split(","):
                continue
            resource = f"Users/{user.id}/Events/{event_id}"
            item = {
                "subscriptionId": sub.id,
                "subscriptionExpirationDateTime": sub.expires_at.strftime("%Y-%m-%dT%H:%M:%S.0000000Z"),
                "changeType": change,
                "resource": resource,
                "clientState": sub.client_state,
                "tenantId": self.tenant_id,
                "resourceData": {
                    "@odata.type": "#Microsoft.Graph.Event",
                    "@odata.id": resource,
                    "@odata.etag": f'W/"{secrets.token_hex(8)}"',
                    "id": event_id,
                },
            }
            self._send(sub, sub.notification_url, change, {"value": [item]})

    def lifecycle(self, subscription_id: str, event: str) -> None:
        """Send a lifecycle notification (`reauthorizationRequired`, `subscriptionRemoved`, `missed`);
        `subscriptionRemoved` also drops the subscription, as Graph does."""
        sub = self.subscriptions[subscription_id]
        if sub.lifecycle_url is None:
            return
        item = {
            "subscriptionId": sub.id,
            "tenantId": self.tenant_id,
            "clientState": sub.client_state,
            "lifecycleEvent": event,
            "subscriptionExpirationDateTime": sub.expires_at.strftime("%Y-%m-%dT%H:%M:%S.0000000Z"),
        }
        if event == "subscriptionRemoved":
            del self.subscriptions[sub.id]
        self._send(sub, sub.lifecycle_url, event, {"value": [item]})

    def _send(self, sub: Subscription, url: str, kind: str, body: dict[str, Any]) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        task = loop.create_task(self._post(sub.id, url, kind, body))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _post(self, subscription_id: str, url: str, kind: str, body: dict[str, Any]) -> None:
        status = None
        try:
            async with httpx.AsyncClient(timeout=10) as client:
                status = (await client.post(url, json=body)).status_code
        except httpx.HTTPError:
            status = None
        self.deliveries.append(Delivery(subscription_id, kind, status))

    async def drain(self) -> None:
        """Wait until every notification sent so far was delivered (or failed)."""
        while self._sending:
            await asyncio.gather(*list(self._sending))

    # -- knobs ----------------------------------------------------------------------------------------

    async def knob_event(self, request: Request) -> Response:
        """`POST /_fake/events` `{"user", "start", "end", "timeZone"?, "subject"?, "showAs"?}`."""
        body = await request.json()
        tz = body.get("timeZone", "UTC")
        event = self.put_event(
            str(body["user"]),
            {
                "subject": body.get("subject", "Busy"),
                "showAs": body.get("showAs", "busy"),
                "start": {"dateTime": body["start"], "timeZone": tz},
                "end": {"dateTime": body["end"], "timeZone": tz},
            },
        )
        return JSONResponse(event, 201)

    async def knob_list_events(self, request: Request) -> Response:
        """`GET /_fake/events?user=`: every event of the user's (a demo checks its writes)."""
        user = self.users.get(request.query_params.get("user", ""))
        return JSONResponse({"value": list(user.events.values()) if user else []})

    async def knob_lifecycle(self, request: Request) -> Response:
        """`POST /_fake/lifecycle` `{"subscription_id", "event"}`."""
        body = await request.json()
        if body.get("subscription_id") not in self.subscriptions:
            return JSONResponse({"error": "unknown subscription"}, 404)
        self.lifecycle(str(body["subscription_id"]), str(body.get("event", "reauthorizationRequired")))
        return Response(status_code=204)


def create_app() -> Starlette:
    """`uvicorn tandem_devstack.fakes.microsoft_graph:create_app --factory` (what devstack runs)."""
    return FakeMicrosoftGraph().app
