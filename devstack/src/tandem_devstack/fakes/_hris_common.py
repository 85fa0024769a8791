"""What the Workday and BambooHR fakes share: an OAuth 2.0 authorization server (authorization code,
expiring access tokens, rotating refresh tokens, `invalid_grant`) and the knobs tests turn (expire
every token now, answer the next N data calls with 429 and a `Retry-After`).

The fakes keep everything in memory; tests drive them either through these methods or over HTTP
(each fake's `/_fake/...` routes), so `make demo` can turn the same knobs.
"""

from __future__ import annotations

import base64
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    scope: str


@dataclass
class FakeOAuth:
    """One vendor's authorization server for one registered API client."""

    client_id: str = "fake-client"
    client_secret: str = "fake-secret"
    access_ttl_seconds: int = 3600
    clock: Callable[[], float] = time.time
    codes: dict[str, Grant] = field(default_factory=dict)
    access_tokens: dict[str, float] = field(default_factory=dict)  # token -> expires at
    refresh_tokens: dict[str, Grant] = field(default_factory=dict)
    token_requests: list[str] = field(default_factory=list)  # grant types, in order
    throttle_left: int = 0
    throttle_retry_after: int = 1
    throttled: int = 0
    expire_after: int | None = None  # data calls still answered before every access token expires

    def authorize(self, request: Request) -> Response:
        """Consents at once (the admin already said yes) and sends the browser back with a code."""
        query = request.query_params
        if query.get("client_id") != self.client_id or query.get("response_type") != "code":
            return JSONResponse({"error": "unauthorized_client"}, status_code=400)
        redirect_uri = query.get("redirect_uri", "")
        code = secrets.token_urlsafe(16)
        self.codes[code] = Grant(self.client_id, redirect_uri, query.get("scope", ""))
        back = {"code": code, **({"state": query["state"]} if "state" in query else {})}
        sep = "&" if "?" in redirect_uri else "?"
        return RedirectResponse(f"{redirect_uri}{sep}{urlencode(back)}", status_code=302)

    async def token(self, request: Request) -> Response:
        # Parsed by hand: the form is small, and starlette's parser needs python-multipart.
        form = dict(parse_qsl((await request.body()).decode()))
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("basic "):
            client_id, _, client_secret = base64.b64decode(auth[6:]).decode().partition(":")
        if client_id != self.client_id or client_secret != self.client_secret:
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        grant_type = str(form.get("grant_type", ""))
        self.token_requests.append(grant_type)
        if grant_type == "authorization_code":
            grant = self.codes.pop(str(form.get("code", "")), None)
            if grant is None or grant.redirect_uri != form.get("redirect_uri"):
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
        elif grant_type == "refresh_token":
            # Rotation: a refresh token works once; the answer carries its successor.
            grant = self.refresh_tokens.pop(str(form.get("refresh_token", "")), None)
            if grant is None:
                return JSONResponse(
                    {"error": "invalid_grant", "error_description": "refresh token invalid"}, status_code=400
                )
        else:
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        self.access_tokens[access] = self.clock() + self.access_ttl_seconds
        self.refresh_tokens[refresh] = grant
        return JSONResponse(
            {
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": self.access_ttl_seconds,
                "refresh_token": refresh,
                "scope": grant.scope,
            },
            headers={"Cache-Control": "no-store"},
        )

    def check(self, request: Request) -> Response | None:
        """None when the call may go on; else the 401 or 429 the vendor would answer."""
        auth = request.headers.get("authorization", "")
        token = auth[7:] if auth.lower().startswith("bearer ") else ""
        expires_at = self.access_tokens.get(token)
        if expires_at is None or expires_at <= self.clock():
            return JSONResponse(
                {"error": "invalid_token"},
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        if self.throttle_left > 0:
            self.throttle_left -= 1
            self.throttled += 1
            return JSONResponse(
                {"error": "Too many requests"},
                status_code=429,
                headers={"Retry-After": str(self.throttle_retry_after)},
            )
        if self.expire_after is not None:
            self.expire_after -= 1
            if self.expire_after <= 0:  # this call still goes through; the next one meets a 401
                self.expire_after = None
                self.expire_access_tokens()
        return None

    # The knobs.
    def expire_access_tokens(self) -> None:
        self.access_tokens.clear()

    def expire_access_tokens_after(self, calls: int) -> None:
        """Expire every access token once `calls` more data calls were answered (expiry mid-sync)."""
        self.expire_after = calls

    def revoke_refresh_tokens(self) -> None:
        self.refresh_tokens.clear()

    def throttle(self, calls: int, *, retry_after: int = 1) -> None:
        self.throttle_left, self.throttle_retry_after = calls, retry_after

    async def knob(self, request: Request) -> Response:
        """`POST /_fake/{expire-tokens|revoke-refresh-tokens|throttle}` (throttle: `{"calls", "retry_after"}`)."""
        action = request.path_params["action"]
        if action == "expire-tokens":
            self.expire_access_tokens()
        elif action == "revoke-refresh-tokens":
            self.revoke_refresh_tokens()
        elif action == "throttle":
            body = await request.json()
            self.throttle(int(body.get("calls", 1)), retry_after=int(body.get("retry_after", 1)))
        else:
            return JSONResponse({"error": "unknown knob"}, status_code=404)
        return Response(status_code=204)


def serve_forever(app: Any, default_port: int) -> None:
    """`python -m tandem_devstack.fakes.<vendor> [port]`: the seeded fake on 127.0.0.1, for `make run`."""
    import sys

    import uvicorn

    port = int(sys.argv[1]) if len(sys.argv) > 1 else default_port
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
