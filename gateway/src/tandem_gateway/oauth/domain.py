"""Pure OAuth rules: scopes, roles, secret hashing, the signing-key timeline, the failure window."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

SCOPES = (
    "matching:read",
    "matching:write",
    "matching:decide",
    "scheduling:read",
    "scheduling:write",
    "consent:read",
    "consent:write",
    "consent:receipt",
    "analytics:read",
    "analytics:ingest",
    "analytics:write",
    "analytics:export",
    "admin",
    "token:exchange",
    "scim:provision",
    "hris:read",
    "xapi:write",
    "xapi:read",
    "calendars:read",
    "calendars:write",
    "calendars:freebusy",
    "directory:read",
)
# Scopes only a machine client may hold: never given to a person's token (docs/gateway.md, Scopes).
CLIENT_ONLY_SCOPES = frozenset(
    {
        "consent:receipt",
        "token:exchange",
        "scim:provision",
        "calendars:freebusy",
        "directory:read",
        "analytics:export",
    }
)
READ_SCOPES = ("matching:read", "scheduling:read", "consent:read", "analytics:read", "calendars:read")
AUDIENCES = ("tandem", "gateway", "matching", "scheduling", "consent", "analytics")
DEFAULT_AUDIENCE = "tandem"
# What the gateway's own API (admin, GraphQL) accepts; a token for one service goes to that service only.
GATEWAY_AUDIENCES = ("tandem", "gateway")

# The roles the services know (`tandem_kit.auth.Principal.roles`).
ROLES = ("participant", "coach", "mentor", "program_manager", "admin")
TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"
JWT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
# A token minted for a person lives at most this long (and never past the IdP token it stands for).
USER_TOKEN_TTL_SECONDS = 300
# A cached minted token is replaced this long before it expires, so it never expires in flight.
USER_TOKEN_REFRESH_MARGIN_SECONDS = 30

# scrypt cost: ~16 MiB and a few tens of milliseconds per check, run off the event loop.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
# Tokens are checked up to this many seconds after `exp` (verifier leeway), so keys outlive them by it.
VERIFIER_LEEWAY_SECONDS = 5


def parse_scopes(value: str | Iterable[str]) -> list[str]:
    """`"all"` or a space/comma separated list, in canonical order, unknown names refused."""
    items = value.replace(",", " ").split() if isinstance(value, str) else list(value)
    if items == ["all"]:
        return list(SCOPES)
    unknown = sorted(set(items) - set(SCOPES))
    if unknown:
        raise ValueError(f"unknown scopes: {' '.join(unknown)}")
    return [s for s in SCOPES if s in items]


def granted_scopes(requested: str | None, allowed: Sequence[str]) -> list[str] | None:
    """The scopes a token gets: all allowed when none requested; None when any requested one is not allowed."""
    if requested is None or not requested.strip():
        return [s for s in SCOPES if s in allowed]
    wanted = set(requested.split())
    if not wanted <= set(allowed):
        return None
    return [s for s in SCOPES if s in wanted]


def tandem_roles(groups: object, role_map: Mapping[str, str]) -> list[str]:
    """The Tandem roles an IdP groups claim maps to (a list, or one space-separated string), in `ROLES` order."""
    if isinstance(groups, str):
        names = groups.split()
    elif isinstance(groups, list):
        names = [g for g in groups if isinstance(g, str)]
    else:
        names = []
    mapped = {role_map[name] for name in names if name in role_map}
    return [r for r in ROLES if r in mapped]


def role_scopes(roles: Iterable[str], scopes_by_role: Mapping[str, Sequence[str]]) -> list[str]:
    """The union of the roles' scopes, in canonical order."""
    wanted = {scope for role in roles for scope in scopes_by_role.get(role, ())}
    return [s for s in SCOPES if s in wanted]


@dataclass(frozen=True)
class UserTokenExpiry:
    expires_at: int
    refresh_at: int


def user_token_expiry(idp_expires_at: int, now: int) -> UserTokenExpiry:
    """A minted token expires at min(IdP exp, now + 5 min). It is reused until the margin before its
    expiry, unless the IdP token caps it: then a new one could not live longer, so it is kept to the end."""
    capped = now + USER_TOKEN_TTL_SECONDS
    if idp_expires_at <= capped:
        return UserTokenExpiry(expires_at=idp_expires_at, refresh_at=idp_expires_at)
    return UserTokenExpiry(expires_at=capped, refresh_at=capped - USER_TOKEN_REFRESH_MARGIN_SECONDS)


def new_client_secret() -> str:
    return secrets.token_urlsafe(32)


def new_client_id() -> str:
    return "tc_" + secrets.token_hex(12)


def hash_secret(secret: str, *, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    b64 = base64.urlsafe_b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_secret(secret: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    expected = base64.urlsafe_b64decode(digest)
    actual = hashlib.scrypt(
        secret.encode(),
        salt=base64.urlsafe_b64decode(salt),
        n=int(n),
        r=int(r),
        p=int(p),
        dklen=len(expected),
    )
    return hmac.compare_digest(actual, expected)


@dataclass(frozen=True)
class KeyTimes:
    kid: str
    activates_at: datetime


@dataclass(frozen=True)
class KeySchedule:
    """Which key signs now, and which keys the JWKS publishes."""

    signing: str | None
    published: tuple[str, ...]
    states: dict[str, str]


def key_schedule(keys: Sequence[KeyTimes], now: datetime, *, token_ttl: timedelta) -> KeySchedule:
    """Keys take over in `activates_at` order.

    A key is `next` before it activates (published, not signing), `current` from its activation until
    the following key activates, then `retired`: still published until every token it could have signed
    has expired (its retirement + token lifetime + verifier leeway), then `expired` and unpublished.
    """
    ordered = sorted(keys, key=lambda k: (k.activates_at, k.kid))
    active = [k for k in ordered if k.activates_at <= now]
    signing = active[-1].kid if active else None
    states: dict[str, str] = {}
    grace = token_ttl + timedelta(seconds=VERIFIER_LEEWAY_SECONDS)
    for index, key in enumerate(ordered):
        if key.activates_at > now:
            states[key.kid] = "next"
        elif key.kid == signing:
            states[key.kid] = "current"
        else:
            retired_at = ordered[index + 1].activates_at
            states[key.kid] = "retired" if retired_at + grace > now else "expired"
    published = tuple(k.kid for k in ordered if states[k.kid] != "expired")
    return KeySchedule(signing=signing, published=published, states=states)


def window_start(now: datetime, window_seconds: int) -> datetime:
    """Start of the fixed rate-limit window holding `now`."""
    epoch = now.timestamp()
    return datetime.fromtimestamp(epoch - epoch % window_seconds, tz=now.tzinfo)


def sliding_count(in_window: int, previous: int, now: datetime, window_seconds: int) -> float:
    """Failures over the last `window_seconds`, estimated from two fixed windows: all of the current
    one and the part of the previous one the sliding window still covers. A fixed window alone forgets
    everything at its boundary, so a source could send twice the limit across it."""
    elapsed = (now - window_start(now, window_seconds)).total_seconds()
    return in_window + previous * max(0.0, 1 - elapsed / window_seconds)


def retry_after(now: datetime, window_seconds: int) -> int:
    """Whole seconds until the window holding `now` ends (at least 1)."""
    end = window_start(now, window_seconds) + timedelta(seconds=window_seconds)
    return max(1, int((end - now).total_seconds() + 0.999))
