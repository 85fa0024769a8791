"""Signing keys: generated with authlib, encrypted at rest with Fernet, cached in memory, rotated on a timeline.

Every replica reloads the keys from the database every `refresh_seconds`; a new key activates only after
`publish_delay`, so every replica and every service has published it before any token it signs arrives.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from authlib.jose import JsonWebKey
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tandem_gateway.models import SigningKey
from tandem_gateway.oauth import repository
from tandem_gateway.oauth.domain import KeySchedule, KeyTimes, key_schedule
from tandem_kit.db import is_unavailable
from tandem_kit.sealing import fernet_for

log = structlog.get_logger("tandem.gateway.keys")

ALGORITHM = "ES256"
RELOAD_TIMEOUT_SECONDS = 3.0
RETRY_SECONDS = 1.0  # after a failed reload: the keys in memory keep serving meanwhile
Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


class KeyCipher:
    """Fernet with a key derived (HKDF-SHA256) from the gateway's `internal_secret`."""

    def __init__(self, secret: str) -> None:
        self._fernet = fernet_for(secret, info=b"signing-keys", salt=b"tandem-gateway")

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        return self._fernet.decrypt(token.encode()).decode()


@dataclass(frozen=True)
class LoadedKey:
    kid: str
    activates_at: datetime
    public: dict[str, Any]
    private: Any


def new_signing_key(cipher: KeyCipher, *, now: datetime, activates_at: datetime) -> SigningKey:
    kid = f"{now:%Y%m%d}-{uuid.uuid4().hex[:12]}"
    key = JsonWebKey.generate_key("EC", "P-256", is_private=True, options={"kid": kid})
    public = {**key.as_dict(is_private=False), "kid": kid, "alg": ALGORITHM, "use": "sig"}
    return SigningKey(
        kid=kid,
        alg=ALGORITHM,
        public_jwk=public,
        private_jwk_encrypted=cipher.encrypt(json.dumps(key.as_dict(is_private=True))),
        created_at=now,
        activates_at=activates_at,
    )


class KeyStore:
    """The gateway's keys in memory: what signs now, what the JWKS publishes."""

    def __init__(
        self,
        cipher: KeyCipher,
        *,
        token_ttl: timedelta,
        publish_delay: timedelta,
        refresh_seconds: float,
        clock: Clock = utcnow,
    ) -> None:
        self.cipher = cipher
        self.token_ttl = token_ttl
        self.publish_delay = publish_delay
        self.refresh_seconds = refresh_seconds
        self.clock = clock
        self.version = 0
        self._sessionmaker: async_sessionmaker[AsyncSession] | None = None
        self._keys: dict[str, LoadedKey] = {}
        self._loaded_at = 0.0
        self._retry_at = 0.0
        self._lock = asyncio.Lock()

    def bind(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    @property
    def sessionmaker(self) -> async_sessionmaker[AsyncSession]:
        if self._sessionmaker is None:
            raise RuntimeError("KeyStore is not bound to a database yet")
        return self._sessionmaker

    async def load(self) -> None:
        async with self.sessionmaker() as session:
            rows = await repository.list_signing_keys(session)
        keys: dict[str, LoadedKey] = {}
        for row in rows:
            known = self._keys.get(row.kid)
            private = (
                known.private
                if known
                else JsonWebKey.import_key(json.loads(self.cipher.decrypt(row.private_jwk_encrypted)))
            )
            keys[row.kid] = LoadedKey(row.kid, row.activates_at, dict(row.public_jwk), private)
        if keys.keys() != self._keys.keys():
            self.version += 1
        self._keys = keys
        self._loaded_at = time.monotonic()

    async def refresh(self, *, force: bool = False) -> None:
        """Reload when stale, or (at most once a second) when a caller saw an unknown key id.

        With the database unreachable, the keys already in memory keep signing and verifying: keys
        change only by rotation, which needs the database anyway."""
        if not self._due(force=force) or (self._lock.locked() and self._keys):
            return
        async with self._lock:
            if not self._due(force=force):
                return
            try:
                async with asyncio.timeout(RELOAD_TIMEOUT_SECONDS):
                    await self.load()
            except Exception as exc:
                if not (self._keys and is_unavailable(exc)):
                    raise
                self._retry_at = time.monotonic() + RETRY_SECONDS
                log.warning("gateway.keys.reload_failed", error_type=type(exc).__name__)

    def _due(self, *, force: bool) -> bool:
        now = time.monotonic()
        age = now - self._loaded_at
        return now >= self._retry_at and (age >= self.refresh_seconds or (force and age > 1.0))

    def loaded(self) -> list[LoadedKey]:
        return sorted(self._keys.values(), key=lambda k: (k.activates_at, k.kid))

    def invalidate(self) -> None:
        self._loaded_at = 0.0

    def schedule(self) -> KeySchedule:
        times = [KeyTimes(k.kid, k.activates_at) for k in self._keys.values()]
        return key_schedule(times, self.clock(), token_ttl=self.token_ttl)

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self._keys[kid].public for kid in self.schedule().published]}

    def signing_key(self) -> LoadedKey:
        kid = self.schedule().signing
        if kid is None:
            raise RuntimeError("no active signing key")
        return self._keys[kid]

    async def ensure_signing_key(self, session: AsyncSession) -> None:
        """On a fresh install: one key that signs at once (no verifier can have cached an older JWKS)."""
        await repository.lock_signing_keys(session)
        now = self.clock()
        times = [KeyTimes(k.kid, k.activates_at) for k in await repository.list_signing_keys(session)]
        if key_schedule(times, now, token_ttl=self.token_ttl).signing is None:
            session.add(new_signing_key(self.cipher, now=now, activates_at=now))
            await session.flush()

    async def rotate(self, session: AsyncSession) -> SigningKey:
        """Add a key that is published now and signs after the publish delay."""
        await repository.lock_signing_keys(session)
        now = self.clock()
        key = new_signing_key(self.cipher, now=now, activates_at=now + self.publish_delay)
        session.add(key)
        await session.flush()
        self.invalidate()
        return key
