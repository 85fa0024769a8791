"""The gateway's own token verifier: kit's checks, with keys and revocations read in-process (no HTTP)."""

from __future__ import annotations

import time

from authlib.jose import JsonWebKey

from tandem_gateway.oauth import repository
from tandem_gateway.oauth.domain import GATEWAY_AUDIENCES
from tandem_gateway.oauth.keys import KeyStore
from tandem_kit.auth import TokenVerifier


class GatewayTokenVerifier(TokenVerifier):
    """Reads the JWKS from the key store and the denylist from the database.

    Its audiences are the gateway's own: every route the gateway serves itself refuses a token meant
    for one service; forwarding asks for `tandem` or that service instead (`routing.fast.authorize`).

    A token revoked through this replica is refused at once (`revoke_locally`); other replicas see it
    after at most `refresh_seconds`, like the services. While the database is down the last good list
    (and the keys in memory) keep serving, for at most `max_stale_seconds`.
    """

    def __init__(
        self, keystore: KeyStore, *, issuer: str, refresh_seconds: float, max_stale_seconds: float = 300.0
    ) -> None:
        super().__init__(
            issuer=issuer,
            audiences=GATEWAY_AUDIENCES,
            refresh_seconds=refresh_seconds,
            max_stale_seconds=max_stale_seconds,
        )
        self.keystore = keystore
        self._static = False
        self._version = -1
        # Revoked here, kept even if a reload races the revoking transaction's commit.
        self._local: set[str] = set()

    async def _refresh_keys(self, *, force: bool) -> None:
        await self.keystore.refresh(force=force)
        # The published set also changes with time alone (a retired key expiring), so rebuild each call
        # only when the key rows or the published kids changed.
        jwks = self.keystore.jwks()
        kids = {k["kid"] for k in jwks["keys"]}
        if self.keystore.version != self._version or kids != self._kids:
            self._keys = JsonWebKey.import_key_set(jwks) if jwks["keys"] else None
            self._kids = kids
            self._version = self.keystore.version

    @property
    def checks_revocation(self) -> bool:
        return True

    async def load_revoked(self) -> None:
        """At start-up: the list is there before the first request (and before any database outage)."""
        self._revoked = await self._fetch_revoked()
        self._revoked_at = time.monotonic()

    async def _fetch_revoked(self) -> set[str]:
        async with self.keystore.sessionmaker() as session:
            revoked = set(await repository.unexpired_revoked_ids(session))
        return revoked | self._local

    def revoke_locally(self, token_id: str) -> None:
        super().revoke_locally(token_id)
        self._local.add(token_id)
