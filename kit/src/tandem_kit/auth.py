"""Bearer-token verification against the gateway's JWKS, and scope checks as FastAPI dependencies."""

import asyncio
import base64
import json
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import httpx
import structlog
from authlib.jose import JsonWebKey, JsonWebToken, JWTClaims, KeySet
from authlib.jose.errors import JoseError
from fastapi import FastAPI, Request, Security
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from tandem_kit.db import is_unavailable
from tandem_kit.errors import RETRY_AFTER_SECONDS, Forbidden, ServiceUnavailable, Unauthorized

log = structlog.get_logger("tandem.auth")

ALLOWED_ALGORITHMS = ("RS256", "ES256")
# Roles that supervise a program: they read every person's data, and may act for others where a service says so.
SUPERVISOR_ROLES = frozenset({"program_manager", "admin"})
VERIFIED_CACHE_SIZE = 10_000
REFRESH_TIMEOUT_SECONDS = 3.0  # one slow denylist source must not hold requests for long
RETRY_SECONDS = 1.0  # after a failed denylist refresh; requests meanwhile use the last good list
_jwt = JsonWebToken(list(ALLOWED_ALGORITHMS))
bearer_scheme = HTTPBearer(
    auto_error=False, description="OAuth 2.0 access token (RFC 9068 JWT) from the gateway."
)


@dataclass(frozen=True)
class Principal:
    """Who is calling: a machine client (sub == client_id) or a user acting through a client."""

    subject: str
    client_id: str
    scopes: frozenset[str]
    token_id: str
    claims: dict[str, Any] = field(default_factory=dict, compare=False)

    def has(self, *scopes: str) -> bool:
        return all(scope in self.scopes for scope in scopes)

    @property
    def person_id(self) -> str | None:
        """Set when a person acts through a client (user token): object-level checks apply to them."""
        value = self.claims.get("person_id")
        return str(value) if value else None

    @property
    def person_uuid(self) -> UUID | None:
        """`person_id` as a UUID, the one place it is parsed. None for a machine client, and for a
        person claim that is no UUID: that caller is nobody (`sees_everything` stays False, so they
        see no one's rows and act for no one), never a 500 nor a machine client."""
        if self.person_id is None:
            return None
        try:
            return UUID(self.person_id)
        except ValueError:
            return None

    @property
    def client_name(self) -> str | None:
        """The calling client's unique name (`client_name` claim); service clients are named after
        their service, which is how one service knows another is calling."""
        value = self.claims.get("client_name")
        return str(value) if value else None

    @property
    def roles(self) -> frozenset[str]:
        value = self.claims.get("roles") or []
        return frozenset(value if isinstance(value, list) else str(value).split())

    @property
    def audiences(self) -> frozenset[str]:
        """The token's `aud`: one string or a list."""
        aud = self.claims.get("aud")
        return frozenset({aud} if isinstance(aud, str) else (aud if isinstance(aud, list) else ()))

    @property
    def supervises(self) -> bool:
        """The caller holds a supervisor role (program manager or admin)."""
        return bool(self.roles & SUPERVISOR_ROLES)

    @property
    def sees_everything(self) -> bool:
        """Reads only: machine clients and program managers see every object of the kinds their scopes
        open; a person sees their own. Acting on others' behalf is a separate, per-service rule."""
        return self.person_id is None or self.supervises


def _unauthorized(detail: str, error: str = "invalid_token") -> Unauthorized:
    return Unauthorized(detail, headers={"WWW-Authenticate": f'Bearer error="{error}"'})


def jwt_segment(token: str, index: int) -> dict[str, Any]:
    """A JWT's header (0) or claims (1), unverified; ValueError or IndexError if that is no JSON object."""
    part = token.split(".")[index]
    decoded = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    if not isinstance(decoded, dict):
        raise ValueError("not a JSON object")
    return decoded


class TokenVerifier:
    """Verifies RS256/ES256 access tokens: signature (JWKS), `iss`, `aud`, `exp`, `nbf`, revocation.

    The JWKS is cached and refetched every `refresh_seconds`, or at once (rate-limited) when a token
    names an unknown `kid`. Revoked token ids are refetched on the same interval; while their source is
    unreachable the last good list is used (one refresh in flight, retried every second) for at most
    `max_stale_seconds`, after which tokens are refused with 503 until the list can be read again.

    A verifier for other tokens (an IdP's) keeps the header, key and signature checks and sets its own
    wording, error (`_refused`) and claims (`_claims_options`).
    """

    MALFORMED = "The access token is malformed."
    ALGORITHM_REFUSED = "Tokens signed with {alg!r} are not accepted."
    NO_KEY_ID = "The access token has no key id."
    UNKNOWN_KEY = "The access token was signed by an unknown key."
    NOT_VALID = "The access token is not valid: {reason}."

    def __init__(
        self,
        *,
        issuer: str,
        audiences: Iterable[str],
        jwks_url: str | None = None,
        jwks: dict[str, Any] | None = None,
        revocation_list_url: str | None = None,
        refresh_seconds: float = 30.0,
        max_stale_seconds: float = 300.0,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.issuer = issuer
        self.audiences = frozenset(audiences)
        self.jwks_url = jwks_url
        self.revocation_list_url = revocation_list_url
        self.refresh_seconds = refresh_seconds
        self.max_stale_seconds = max_stale_seconds
        self._http = http or httpx.AsyncClient(timeout=httpx.Timeout(3.0))
        self._keys: KeySet | None = JsonWebKey.import_key_set(jwks) if jwks else None
        self._kids: set[str] = {k["kid"] for k in jwks["keys"]} if jwks else set()
        self._static = jwks is not None
        self._fetched_at = 0.0
        self._revoked: set[str] = set()
        # Verified tokens by their exact text, until they expire: a token is checked cryptographically
        # once per process, not on every request (revocation is still checked on every use).
        self._verified: OrderedDict[str, tuple[float, Principal]] = OrderedDict()
        self._revoked_at = float("-inf")  # never loaded: too stale to trust
        self._revoked_retry_at = 0.0
        self._revoked_task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    async def _refresh_keys(self, *, force: bool) -> None:
        if self._static or self.jwks_url is None:
            return
        now = time.monotonic()
        stale = now - self._fetched_at > self.refresh_seconds
        # A forced refresh (unknown kid) is allowed at most once a second, so junk kids can't flood the gateway.
        if not stale and not (force and now - self._fetched_at > 1.0):
            return
        async with self._lock:
            try:
                resp = await self._http.get(self.jwks_url)
                resp.raise_for_status()
                doc = resp.json()
            except (httpx.HTTPError, ValueError) as exc:
                log.warning("auth.jwks_fetch_failed", error_type=type(exc).__name__)
                if self._keys is None:
                    raise Unauthorized(
                        "The token signing keys are unavailable; try again shortly.",
                        headers={"WWW-Authenticate": "Bearer", "Retry-After": "1"},
                    ) from exc
                return
            self._keys = JsonWebKey.import_key_set(doc)
            self._kids = {k.get("kid", "") for k in doc.get("keys", [])}
            self._fetched_at = time.monotonic()

    @property
    def checks_revocation(self) -> bool:
        return self.revocation_list_url is not None

    async def _fetch_revoked(self) -> set[str]:
        assert self.revocation_list_url is not None
        resp = await self._http.get(self.revocation_list_url)
        resp.raise_for_status()
        return set(resp.json().get("revoked", []))

    async def _refresh_revoked(self) -> None:
        """The caller that finds the list due refreshes it and waits; callers meanwhile use the current
        list, unless it is too stale to trust (or was never loaded): then they wait for the same refresh."""
        if not self.checks_revocation:
            return
        now = time.monotonic()
        task, started_here = self._revoked_task, False
        if task is None and now - self._revoked_at >= self.refresh_seconds and now >= self._revoked_retry_at:
            task = self._revoked_task = asyncio.create_task(self._reload_revoked())
            started_here = True
        if task is not None and (started_here or self._revoked_too_stale()):
            await asyncio.shield(task)
        if self._revoked_too_stale():
            raise ServiceUnavailable(
                "Revoked tokens cannot be checked right now; retry shortly.",
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )

    def _revoked_too_stale(self) -> bool:
        return time.monotonic() - self._revoked_at > self.max_stale_seconds

    async def _reload_revoked(self) -> None:
        try:
            async with asyncio.timeout(REFRESH_TIMEOUT_SECONDS):
                self._revoked = await self._fetch_revoked()
            self._revoked_at = time.monotonic()
        except Exception as exc:
            if not (isinstance(exc, httpx.HTTPError | ValueError) or is_unavailable(exc)):
                raise
            self._revoked_retry_at = time.monotonic() + RETRY_SECONDS
            log.warning(
                "auth.denylist_refresh_failed",
                error_type=type(exc).__name__,
                stale_seconds=round(time.monotonic() - self._revoked_at, 1),
            )
        finally:
            self._revoked_task = None

    def revoke_locally(self, token_id: str) -> None:
        self._revoked.add(token_id)

    async def verify(self, token: str, *, audiences: Iterable[str] | None = None) -> Principal:
        """The token's principal if it is valid and meant for one of `audiences` (default: the
        verifier's); the audience is checked on every use, cached or not."""
        principal = await self._cached_or_verified(token)
        wanted = self.audiences if audiences is None else frozenset(audiences)
        if not principal.audiences & wanted:
            raise _unauthorized(
                f"The access token is not meant for this service (aud must be one of: {' '.join(sorted(wanted))})."
            )
        return principal

    async def _cached_or_verified(self, token: str) -> Principal:
        cached = self._verified.get(token)
        if cached is not None and cached[0] > time.time():
            await self._refresh_revoked()
            if cached[1].token_id in self._revoked:
                raise _unauthorized("The access token has been revoked.")
            return cached[1]
        principal, expires_at = await self._verify(token)
        self._verified[token] = (expires_at, principal)
        if len(self._verified) > VERIFIED_CACHE_SIZE:
            self._verified.popitem(last=False)
        return principal

    def _refused(self, detail: str) -> Unauthorized:
        return _unauthorized(detail)

    def _claims_options(self) -> dict[str, dict[str, Any]]:
        return {
            "iss": {"essential": True, "value": self.issuer},
            "exp": {"essential": True},
            "sub": {"essential": True},
            "jti": {"essential": True},
        }

    async def _signed_claims(self, token: str) -> JWTClaims:
        """The claims of a token signed by a published key (JWKS refetched for an unknown `kid`) that
        pass `_claims_options`, with 5 s leeway for clock skew."""
        try:
            header = jwt_segment(token, 0)
        except (ValueError, IndexError) as exc:
            raise self._refused(self.MALFORMED) from exc
        alg = header.get("alg")
        if alg not in ALLOWED_ALGORITHMS:
            raise self._refused(self.ALGORITHM_REFUSED.format(alg=alg))
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise self._refused(self.NO_KEY_ID)
        await self._refresh_keys(force=kid not in self._kids)
        if kid not in self._kids or self._keys is None:
            raise self._refused(self.UNKNOWN_KEY)
        try:
            claims: JWTClaims = _jwt.decode(token, self._keys, claims_options=self._claims_options())
            claims.validate(leeway=5)
        except JoseError as exc:
            raise self._refused(self.NOT_VALID.format(reason=exc.description or exc.error)) from exc
        return claims

    async def _verify(self, token: str) -> tuple[Principal, float]:
        claims = await self._signed_claims(token)
        await self._refresh_revoked()
        jti = str(claims["jti"])
        if jti in self._revoked:
            raise _unauthorized("The access token has been revoked.")
        scope = claims.get("scope", "")
        principal = Principal(
            subject=str(claims["sub"]),
            client_id=str(claims.get("client_id", claims["sub"])),
            scopes=frozenset(scope.split() if isinstance(scope, str) else scope),
            token_id=jti,
            claims=dict(claims),
        )
        return principal, float(claims["exp"])

    async def aclose(self) -> None:
        await self._http.aclose()


class Authenticator:
    """FastAPI dependency: a valid bearer token carrying every scope in `scopes`, meant for one of
    `audiences` (default: the app verifier's own)."""

    def __init__(self, *, scopes: Iterable[str] = (), audiences: Iterable[str] | None = None) -> None:
        self.scopes = frozenset(scopes)
        self.audiences = None if audiences is None else frozenset(audiences)

    async def __call__(
        self, request: Request, credentials: HTTPAuthorizationCredentials | None = Security(bearer_scheme)
    ) -> Principal:
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise Unauthorized(
                "This endpoint needs a bearer access token.", headers={"WWW-Authenticate": "Bearer"}
            )
        verifier: TokenVerifier = request.app.state.token_verifier
        principal = await verifier.verify(credentials.credentials, audiences=self.audiences)
        missing = sorted(self.scopes - principal.scopes)
        if missing:
            raise Forbidden(
                f"The access token lacks the scope {' '.join(missing)}.",
                headers={
                    "WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{" ".join(missing)}"'
                },
                missing_scopes=missing,
            )
        request.state.principal = principal
        return principal


def route_scopes(app: FastAPI, prefix: str = "/api/v1/") -> dict[str, dict[str, list[str]]]:
    """`{path template: {METHOD: sorted scopes}}` for the app's routes under `prefix`, read from the
    `Authenticator` dependencies they declare: what each route needs, in one place, for the gateway's
    table (docs/gateway.md). A route without an `Authenticator` maps to no scopes."""
    table: dict[str, dict[str, list[str]]] = {}
    for route in app.routes:
        if not isinstance(route, APIRoute) or not route.path.startswith(prefix):
            continue
        scopes: set[str] = set()
        pending = [route.dependant]
        while pending:
            dependant = pending.pop()
            if isinstance(dependant.call, Authenticator):
                scopes |= dependant.call.scopes
            pending.extend(dependant.dependencies)
        for method in sorted(route.methods):
            table.setdefault(route.path, {})[method] = sorted(scopes)
    return table
