"""People acting through front ends: a user access token from a trusted enterprise IdP becomes a
short-lived Tandem token (person_id, roles, role scopes, RFC 8693 `act`), cached per IdP token.

`UserTokenEdge` swaps it in front of every protected route, so REST forwarding, `/graphql` (and each
subgraph call) and the gateway's own scope checks all see the Tandem token; `POST /oauth/token` offers
the same exchange explicitly (RFC 8693).
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import structlog
from starlette.types import ASGIApp, Receive, Scope, Send

from tandem_gateway.directory import service as directory
from tandem_gateway.models import Person
from tandem_gateway.oauth.domain import (
    DEFAULT_AUDIENCE,
    USER_TOKEN_TTL_SECONDS,
    role_scopes,
    tandem_roles,
    user_token_expiry,
)
from tandem_gateway.oauth.keys import KeyStore
from tandem_gateway.oauth.service import sign_access_token
from tandem_gateway.settings import Settings, UserTokenIssuer
from tandem_kit.auth import Principal, TokenVerifier, jwt_segment
from tandem_kit.errors import Forbidden, ProblemError, Unauthorized, response_for

log = structlog.get_logger("tandem.gateway.user_tokens")

MINTED_CACHE_SIZE = 10_000


class UserTokenRejected(Unauthorized):
    code, title = "invalid-user-token", "Invalid user token"

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}, **extensions)


class PersonDeactivated(Forbidden):
    code, title = "person-deactivated", "Person deactivated"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer error="insufficient_scope"'})


class NoTandemRole(Forbidden):
    code, title = "no-tandem-role", "No Tandem role"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer error="insufficient_scope"'})


def unverified_issuer(token: str) -> str | None:
    """The `iss` a JWT claims, before any check (only to pick the verifier); None if not a JWT."""
    try:
        iss = jwt_segment(token, 1).get("iss")
    except (ValueError, IndexError):
        return None
    return iss if isinstance(iss, str) else None


class IdpTokenVerifier(TokenVerifier):
    """The kit verifier's header and signature checks and JWKS handling (cached, refetched on an
    unknown `kid`, at most once a second) with the claims an IdP access token has: `iss`, `aud`,
    `sub`, `exp` required, `nbf`/`iat` checked when present; no `jti` needed (Entra ID has none) and
    no revocation list (the IdP has none)."""

    MALFORMED = "The user token is malformed."
    ALGORITHM_REFUSED = "User tokens signed with {alg!r} are not accepted."
    NO_KEY_ID = "The user token has no key id."
    UNKNOWN_KEY = "The user token was signed by a key its issuer does not publish."
    NOT_VALID = "The user token is not valid: {reason}."

    def __init__(self, config: UserTokenIssuer, *, refresh_seconds: float) -> None:
        super().__init__(
            issuer=config.issuer,
            audiences=[config.audience],
            jwks_url=config.jwks_url,
            refresh_seconds=refresh_seconds,
        )

    def _refused(self, detail: str) -> UserTokenRejected:
        return UserTokenRejected(detail)

    def _claims_options(self) -> dict[str, dict[str, Any]]:
        return {
            "iss": {"essential": True, "value": self.issuer},
            "aud": {"essential": True, "values": sorted(self.audiences)},
            "sub": {"essential": True},
            "exp": {"essential": True},
        }

    async def _verify(self, token: str) -> tuple[Principal, float]:
        claims = await self._signed_claims(token)
        expires_at = float(claims["exp"])
        # Leeway is for clock skew on nbf/iat; a token past its exp is not turned into a Tandem token.
        if expires_at <= time.time():
            raise UserTokenRejected("The user token is not valid: The token is expired.")
        token_id = str(claims.get("jti") or claims.get("uti") or hashlib.sha256(token.encode()).hexdigest())
        principal = Principal(
            subject=str(claims["sub"]),
            client_id=str(claims.get("azp") or claims.get("client_id") or self.issuer),
            scopes=frozenset(),
            token_id=token_id,
            claims=dict(claims),
        )
        return principal, expires_at


@dataclass(frozen=True)
class MintedToken:
    token: str
    claims: dict[str, object]
    refresh_at: int

    @property
    def scope(self) -> str:
        return str(self.claims["scope"])

    @property
    def expires_at(self) -> int:
        return int(str(self.claims["exp"]))


class UserTokens:
    """Verifies IdP tokens, maps groups to roles to scopes, mints and caches Tandem tokens."""

    def __init__(self, settings: Settings, keystore: KeyStore) -> None:
        self.settings = settings
        self.keystore = keystore
        self.configs = {c.issuer: c for c in settings.user_token_issuers}
        self.verifiers = {
            c.issuer: IdpTokenVerifier(c, refresh_seconds=settings.jwks_refresh_seconds)
            for c in settings.user_token_issuers
        }
        self._minted: OrderedDict[bytes, MintedToken] = OrderedDict()
        self.signed = 0  # tokens minted since start (the cache keeps this low)

    @property
    def enabled(self) -> bool:
        return bool(self.configs)

    def trusts(self, token: str) -> bool:
        """Whether the token claims to come from a trusted IdP (never true for the gateway's own)."""
        issuer = unverified_issuer(token)
        return issuer is not None and issuer in self.configs and issuer != self.settings.issuer

    async def exchange(self, token: str) -> MintedToken:
        """The Tandem token for this IdP token: from the cache, or verified, mapped and signed."""
        key = hashlib.sha256(token.encode()).digest()
        now = int(self.keystore.clock().timestamp())
        cached = self._minted.get(key)
        if cached is not None and cached.refresh_at > now:
            return cached
        issuer = unverified_issuer(token)
        if issuer is None or issuer not in self.configs or issuer == self.settings.issuer:
            raise UserTokenRejected("The user token does not come from a trusted identity provider.")
        config = self.configs[issuer]
        idp = await self.verifiers[issuer].verify(token)
        minted = await self._mint(config, idp, now=now)
        self._minted[key] = minted
        self._minted.move_to_end(key)
        if len(self._minted) > MINTED_CACHE_SIZE:
            self._minted.popitem(last=False)
        return minted

    async def _person(self, config: UserTokenIssuer, idp: Principal) -> uuid.UUID:
        """The directory person the token speaks for (docs/gateway.md, People): the person claim's UUID,
        else the person whose externalId is `sub`, else whose work e-mail is the e-mail claim. A person
        the directory knows as deactivated, deleted or erased is refused."""
        raw_person = idp.claims.get(config.person_claim)
        person: Person | None = None
        try:
            person_id = uuid.UUID(str(raw_person)) if isinstance(raw_person, str) else None
        except ValueError:
            person_id = None
        async with self.keystore.sessionmaker() as session:
            if person_id is not None:
                person = await session.get(Person, person_id)
            elif raw_person is None:
                person = await directory.find_person(session, external_id=idp.subject)
                email = idp.claims.get(config.email_claim)
                if person is None and isinstance(email, str) and email:
                    person = await directory.find_person(session, email=email)
        if person_id is None and person is None:
            raise UserTokenRejected(
                f"The user token's claim {config.person_claim} must be a person UUID "
                f"(or its sub or {config.email_claim} must match a directory person).",
                claim=config.person_claim,
            )
        if person is not None and (not person.active or person.deleted_at or person.erased_at):
            raise PersonDeactivated("The person this token speaks for is deactivated in the directory.")
        return person.id if person is not None else person_id  # type: ignore[return-value]

    async def _mint(self, config: UserTokenIssuer, idp: Principal, *, now: int) -> MintedToken:
        person_id = await self._person(config, idp)
        roles = tandem_roles(idp.claims.get(config.roles_claim), config.role_map)
        scopes = role_scopes(roles, config.scopes_by_role)
        if not scopes:
            raise NoTandemRole(
                f"The user's {config.roles_claim} map to no Tandem role with scopes; "
                "ask for the IdP group of a Tandem role."
            )
        expiry = user_token_expiry(int(float(str(idp.claims["exp"]))), now)
        await self.keystore.refresh()
        token, claims = sign_access_token(
            self.keystore,
            issuer=self.settings.issuer,
            subject=f"person:{person_id}",
            client_id=idp.client_id,
            audience=DEFAULT_AUDIENCE,
            scopes=scopes,
            ttl=timedelta(seconds=USER_TOKEN_TTL_SECONDS),
            expires_at=expiry.expires_at,
            extra_claims={
                "person_id": str(person_id),
                "roles": roles,
                "act": {"sub": idp.subject, "iss": config.issuer},
            },
        )
        self.signed += 1
        log.info(
            "gateway.user_tokens.minted",
            iss=config.issuer,
            client_id=idp.client_id,
            roles=" ".join(roles),
            scope=" ".join(scopes),
            exp=expiry.expires_at,
        )
        return MintedToken(token=token, claims=claims, refresh_at=expiry.refresh_at)

    async def aclose(self) -> None:
        for verifier in self.verifiers.values():
            await verifier.aclose()


def _protected(path: str) -> bool:
    """The routes that take bearer tokens; public documents never fail on a stale user token."""
    if path == "/graphql":
        return True
    return path.startswith("/api/v1/") and not path.endswith(("/openapi.json", "/docs"))


class UserTokenEdge:
    """In front of every protected route: a trusted IdP's bearer token is replaced by its Tandem token
    (installed only when `user_token_issuers` is set, so machine calls pay nothing otherwise)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _protected(scope["path"]):
            await self.app(scope, receive, send)
            return
        headers: list[tuple[bytes, bytes]] = scope["headers"]
        index, token = next(
            (
                (i, value[7:].strip().decode("latin-1"))
                for i, (name, value) in enumerate(headers)
                if name == b"authorization" and value[:7].lower() == b"bearer "
            ),
            (-1, ""),
        )
        user_tokens: UserTokens = scope["app"].state.user_tokens
        if index < 0 or not user_tokens.trusts(token):
            await self.app(scope, receive, send)
            return
        try:
            minted = await user_tokens.exchange(token)
        except ProblemError as exc:
            response = response_for(exc, scope["path"])
            await response(scope, receive, send)
            return
        scope["headers"] = [
            *headers[:index],
            (b"authorization", b"Bearer " + minted.token.encode()),
            *headers[index + 1 :],
        ]
        await self.app(scope, receive, send)
