"""Who may call the xAPI endpoint: a bearer token with `xapi:write` / `xapi:read`, or the HTTP Basic
credentials an admin issued to one LMS (many LMSs speak only Basic to an LRS)."""

import asyncio
import base64
import binascii
import hashlib
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from tandem_gateway.oauth import service as oauth_service
from tandem_gateway.oauth.domain import retry_after, verify_secret
from tandem_gateway.oauth.endpoints import client_source
from tandem_gateway.settings import Settings
from tandem_gateway.xapi import repository
from tandem_kit.auth import Authenticator, Principal
from tandem_kit.db import SessionDep
from tandem_kit.errors import Forbidden, ProblemError, Unauthorized
from tandem_kit.fields import has_nul

CHALLENGE = 'Bearer, Basic realm="xapi"'
BASIC_CACHE_SECONDS = 60.0  # a verified Basic secret skips scrypt for this long (an LMS posts in bursts)
credentials_scheme = HTTPBearer(
    auto_error=False,
    description="OAuth 2.0 access token from the gateway, or `Basic` with an LMS credential.",
)


@dataclass(frozen=True)
class XapiCaller:
    """The writer or reader of statements: `who` is the client id or the LMS credential key."""

    who: str
    can_read: bool
    can_write: bool
    principal: Principal | None = None


_verified: dict[tuple[str, str], tuple[float, XapiCaller]] = {}


class TooManyAttempts(ProblemError):
    """The source sent too many failed authentications in the window (the OAuth endpoints' limit)."""

    status, code, title = 429, "too-many-attempts", "Too many failed authentications"


def _refuse(detail: str) -> Unauthorized:
    return Unauthorized(detail, headers={"WWW-Authenticate": CHALLENGE})


async def _refuse_counted(request: Request, detail: str) -> ProblemError:
    """A failed Basic authentication, counted against the source address in the gateway's shared
    `auth_failures` (committed on its own: the request's transaction rolls back). Past the limit the
    source gets 429 with Retry-After; the right credentials are still accepted from it, so wrong ones
    sent for a key (keys are not secret) never lock the LMS out."""
    settings: Settings = request.app.state.settings
    now = datetime.now(UTC)
    async with request.app.state.sessionmaker() as session, session.begin():
        failures = await oauth_service.count_failure(session, settings, client_source(request), now)
    if failures > settings.auth_failure_limit:
        wait = retry_after(now, settings.auth_failure_window_seconds)
        return TooManyAttempts(
            "Too many failed authentications from this address; retry later.",
            headers={"Retry-After": str(wait), "WWW-Authenticate": CHALLENGE},
        )
    return _refuse(detail)


async def _basic(request: Request, session: SessionDep, encoded: str) -> XapiCaller:
    try:
        key, secret = base64.b64decode(encoded.strip(), validate=True).decode().split(":", 1)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise await _refuse_counted(request, "The Basic credentials are malformed.") from exc
    if has_nul(key) or has_nul(secret):
        raise await _refuse_counted(request, "The Basic credentials are malformed.")
    fingerprint = (key, hashlib.sha256(secret.encode()).hexdigest())
    cached = _verified.get(fingerprint)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    credential = await repository.get_credential_by_key(session, key)
    # An unknown key costs the same scrypt time as a wrong secret, so keys cannot be probed by timing.
    stored = credential.secret_hash if credential is not None else oauth_service.DUMMY_HASH
    matches = await asyncio.to_thread(verify_secret, secret, stored)
    if credential is None or credential.disabled_at is not None or not matches:
        raise await _refuse_counted(request, "The LMS credentials are not valid.")
    caller = XapiCaller(who=credential.key, can_read=credential.can_read, can_write=True)
    _verified[fingerprint] = (time.monotonic() + BASIC_CACHE_SECONDS, caller)
    return caller


def forget_credential(key: str) -> None:
    """Drop cached verifications of a disabled credential at once (in this process)."""
    for fingerprint in [f for f in _verified if f[0] == key]:
        _verified.pop(fingerprint, None)


class XapiAuthenticator:
    """Bearer (scope `xapi:<access>`) or Basic (an enabled LMS credential allowed `access`)."""

    def __init__(self, access: str) -> None:
        self.access = access
        self.bearer = Authenticator(scopes={f"xapi:{access}"})

    async def __call__(
        self,
        request: Request,
        session: SessionDep,
        credentials: HTTPAuthorizationCredentials | None = Security(credentials_scheme),
    ) -> XapiCaller:
        header = request.headers.get("authorization", "")
        if header[:6].lower() == "basic ":
            caller = await _basic(request, session, header[6:])
            if self.access == "read" and not caller.can_read:
                raise Forbidden("This LMS credential may write statements, not read them.")
            return caller
        if credentials is None:
            raise _refuse("This endpoint needs a bearer access token or Basic LMS credentials.")
        principal = await self.bearer(request, credentials)
        return XapiCaller(
            who=principal.client_id,
            can_read=principal.has("xapi:read"),
            can_write=principal.has("xapi:write"),
            principal=principal,
        )


XapiWrite = Annotated[XapiCaller, Depends(XapiAuthenticator("write"))]
XapiRead = Annotated[XapiCaller, Depends(XapiAuthenticator("read"))]
XapiAdmin = Annotated[Principal, Depends(Authenticator(scopes={"admin"}))]


async def _assigner(
    principal: Annotated[Principal, Depends(Authenticator(scopes={"matching:decide"}))],
) -> Principal:
    if principal.person_id is not None and not principal.supervises:
        raise Forbidden("Only a program manager (or a machine client) assigns microlearning.")
    return principal


Assigner = Annotated[Principal, Depends(_assigner)]
