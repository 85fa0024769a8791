"""Who may call the xAPI endpoint: a bearer token with `xapi:write` / `xapi:read`, or the HTTP Basic
credentials an admin issued to one LMS (many LMSs speak only Basic to an LRS)."""

import asyncio
import base64
import binascii
import hashlib
import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from tandem_gateway.oauth.domain import verify_secret
from tandem_gateway.xapi import repository
from tandem_kit.auth import Authenticator, Principal
from tandem_kit.db import SessionDep
from tandem_kit.errors import Forbidden, Unauthorized
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


def _refuse(detail: str) -> Unauthorized:
    return Unauthorized(detail, headers={"WWW-Authenticate": CHALLENGE})


async def _basic(session: SessionDep, encoded: str) -> XapiCaller:
    try:
        key, secret = base64.b64decode(encoded.strip(), validate=True).decode().split(":", 1)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise _refuse("The Basic credentials are malformed.") from exc
    if has_nul(key) or has_nul(secret):
        raise _refuse("The Basic credentials are malformed.")
    fingerprint = (key, hashlib.sha256(secret.encode()).hexdigest())
    cached = _verified.get(fingerprint)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    credential = await repository.get_credential_by_key(session, key)
    if (
        credential is None
        or credential.disabled_at is not None
        or not await asyncio.to_thread(verify_secret, secret, credential.secret_hash)
    ):
        raise _refuse("The LMS credentials are not valid.")
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
            caller = await _basic(session, header[6:])
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
