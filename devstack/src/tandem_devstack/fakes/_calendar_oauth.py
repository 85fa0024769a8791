"""What the Google and Microsoft fakes share: an OAuth 2.0 authorization server for people (authorization
code with PKCE S256, auto-consent as the user named by `login_hint`, expiring access tokens, refresh
tokens that rotate or not, revocation of a whole grant, `invalid_grant` on demand) and bearer checks.

The vendor files give it their error bodies and rules (Google keeps a refresh token, Microsoft rotates
it on every use); everything is in memory, and tests turn the knobs directly or over HTTP.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

DEFAULT_USER = "alex@example.test"


async def read_form(request: Request) -> dict[str, str]:
    """An `application/x-www-form-urlencoded` body (without python-multipart)."""
    return dict(parse_qsl((await request.body()).decode()))


@dataclass
class Grant:
    """One user's consent to one client: every token issued under it dies with it."""

    id: str
    user: str
    scopes: list[str]
    offline: bool
    revoked: bool = False


@dataclass
class Code:
    grant: Grant
    redirect_uri: str
    challenge: str
    expires_at: float


@dataclass
class AccessToken:
    grant: Grant
    expires_at: float


@dataclass
class FakeOAuthServer:
    """An authorization server for one registered client."""

    client_id: str
    client_secret: str
    rotate_refresh_tokens: bool
    invalid_grant_description: str
    access_ttl_seconds: int = 3600
    clock: Callable[[], float] = time.time
    codes: dict[str, Code] = field(default_factory=dict)
    access_tokens: dict[str, AccessToken] = field(default_factory=dict)
    refresh_tokens: dict[str, Grant] = field(default_factory=dict)
    grants: list[Grant] = field(default_factory=list)
    token_requests: list[str] = field(default_factory=list)  # grant types, in order
    fail_token_requests: list[int] = field(default_factory=list)  # statuses to answer next
    # Scopes the consenting user unticks (Google's granular consent): left out of the grant.
    withheld_scopes: set[str] = field(default_factory=set)
    # Whether an authorization request gets a refresh token (the vendor's rule).
    offline: Callable[[dict[str, str]], bool] = lambda _query: True

    # -- endpoints ------------------------------------------------------------------------------------

    async def authorize(self, request: Request) -> Response:
        """Consents at once as `login_hint` and sends the browser back to `redirect_uri` with a code."""
        query = dict(request.query_params)
        if query.get("client_id") != self.client_id:
            return JSONResponse({"error": "invalid_client", "error_description": "unknown client"}, 400)
        redirect_uri = query.get("redirect_uri", "")
        if not redirect_uri.startswith(("http://", "https://")):
            return JSONResponse({"error": "invalid_request", "error_description": "redirect_uri"}, 400)
        back: dict[str, str] = {"state": query["state"]} if "state" in query else {}
        if (
            query.get("response_type") != "code"
            or query.get("code_challenge_method") != "S256"
            or not query.get("code_challenge")
        ):
            back |= {"error": "invalid_request", "error_description": "code, PKCE S256 required"}
        else:
            grant = Grant(
                id=secrets.token_hex(8),
                user=query.get("login_hint") or DEFAULT_USER,
                scopes=[s for s in query.get("scope", "").split() if s not in self.withheld_scopes],
                offline=self.offline(query),
            )
            self.grants.append(grant)
            code = secrets.token_urlsafe(24)
            self.codes[code] = Code(grant, redirect_uri, query["code_challenge"], self.clock() + 600)
            back |= {"code": code}
        sep = "&" if "?" in redirect_uri else "?"
        return RedirectResponse(f"{redirect_uri}{sep}{urlencode(back)}", status_code=302)

    def _client_ok(self, request: Request, form: dict[str, str]) -> bool:
        client_id, secret = form.get("client_id"), form.get("client_secret")
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("basic "):
            client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
        return client_id == self.client_id and secret == self.client_secret

    def _invalid_grant(self) -> JSONResponse:
        return JSONResponse(
            {"error": "invalid_grant", "error_description": self.invalid_grant_description}, 400
        )

    async def token(self, request: Request) -> Response:
        form = await read_form(request)
        grant_type = form.get("grant_type", "")
        self.token_requests.append(grant_type)
        if self.fail_token_requests:
            status = self.fail_token_requests.pop(0)
            return JSONResponse({"error": "temporarily_unavailable"}, status, headers={"Retry-After": "1"})
        if not self._client_ok(request, form):
            return JSONResponse(
                {"error": "invalid_client", "error_description": "bad client credentials"}, 401
            )
        if grant_type == "authorization_code":
            code = self.codes.pop(form.get("code", ""), None)
            if code is None or code.expires_at <= self.clock() or code.grant.revoked:
                return self._invalid_grant()
            if code.redirect_uri != form.get("redirect_uri"):
                return JSONResponse(
                    {"error": "redirect_uri_mismatch", "error_description": "Bad Request"}, 400
                )
            verifier = form.get("code_verifier", "")
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
            if digest.decode() != code.challenge:
                return JSONResponse(
                    {"error": "invalid_grant", "error_description": "code_verifier does not match"}, 400
                )
            grant, refresh = code.grant, None
        elif grant_type == "refresh_token":
            presented = form.get("refresh_token", "")
            found = self.refresh_tokens.get(presented)
            if found is None or found.revoked:
                return self._invalid_grant()
            grant, refresh = found, presented
            if self.rotate_refresh_tokens:
                # The used one dies: a client that loses the successor has lost the grant.
                del self.refresh_tokens[presented]
                refresh = None
        else:
            return JSONResponse({"error": "unsupported_grant_type"}, 400)
        access = "at-" + secrets.token_urlsafe(24)
        self.access_tokens[access] = AccessToken(grant, self.clock() + self.access_ttl_seconds)
        body: dict[str, object] = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": self.access_ttl_seconds,
            "scope": " ".join(grant.scopes),
        }
        if grant.offline and refresh is None:
            refresh = "rt-" + secrets.token_urlsafe(24)
            self.refresh_tokens[refresh] = grant
            body["refresh_token"] = refresh
        return JSONResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    async def revoke(self, request: Request) -> Response:
        """RFC 7009-like (Google's `/revoke`): the token's whole grant dies, refresh and access tokens."""
        form = await read_form(request)
        token = form.get("token") or request.query_params.get("token", "")
        grant = self.refresh_tokens.get(token)
        if grant is None and token in self.access_tokens:
            grant = self.access_tokens[token].grant
        if grant is None or grant.revoked:
            return JSONResponse(
                {"error": "invalid_token", "error_description": "Token expired or revoked"}, 400
            )
        grant.revoked = True
        return JSONResponse({})

    # -- what the APIs call ---------------------------------------------------------------------------

    def user_of(self, request: Request) -> str | None:
        """The user a live bearer token acts for; None when missing, expired or revoked."""
        auth = request.headers.get("authorization", "")
        return self.user_of_token(auth[7:] if auth.lower().startswith("bearer ") else "")

    def user_of_token(self, token: str) -> str | None:
        found = self.access_tokens.get(token)
        if found is None or found.expires_at <= self.clock() or found.grant.revoked:
            return None
        return found.grant.user

    def scopes_of(self, request: Request) -> list[str]:
        auth = request.headers.get("authorization", "")
        found = self.access_tokens.get(auth[7:])
        return found.grant.scopes if found else []

    # -- knobs ----------------------------------------------------------------------------------------

    def expire_tokens(self, user: str | None = None) -> None:
        """Every access token (of `user`) expires now; refresh tokens still work."""
        for token in self.access_tokens.values():
            if user is None or token.grant.user == user:
                token.expires_at = 0

    def revoke_grants(self, user: str | None = None) -> None:
        """The user withdrew consent (or changed password): the next refresh is `invalid_grant`."""
        for grant in self.grants:
            if user is None or grant.user == user:
                grant.revoked = True

    def live_grants(self, user: str) -> list[Grant]:
        return [g for g in self.grants if g.user == user and not g.revoked]

    async def knob(self, request: Request) -> Response:
        """`POST /_fake/oauth/{expire-tokens|revoke-grants|fail-token}` with `{"user"}` or
        `{"statuses": [503]}`."""
        action = request.path_params["action"]
        body = await request.json() if await request.body() else {}
        if action == "expire-tokens":
            self.expire_tokens(body.get("user"))
        elif action == "revoke-grants":
            self.revoke_grants(body.get("user"))
        elif action == "fail-token":
            self.fail_token_requests.extend(int(s) for s in body.get("statuses", [503]))
        else:
            return JSONResponse({"error": "unknown knob"}, 404)
        return Response(status_code=204)


class FaultKnobs:
    """`POST /_fake/faults` `{"statuses": [429, 503], "retry_after": "2"}`: the next API calls fail so,
    with `Retry-After` (a fake's guard pops `faults` before answering)."""

    faults: list[tuple[int, str | None]]

    def fail_next(self, *statuses: int, retry_after: str | None = "1") -> None:
        self.faults.extend((s, retry_after) for s in statuses)

    async def knob_faults(self, request: Request) -> Response:
        body = await request.json()
        retry_after = body.get("retry_after", "1")
        self.fail_next(
            *(int(s) for s in body.get("statuses", [])),
            retry_after=None if retry_after is None else str(retry_after),
        )
        return Response(status_code=204)
