"""The consent service's answer for `matching`, asked over HTTP and cached briefly.

A decision is reused for `ttl` seconds and dropped at once when consent changes
(`ConsentGranted`/`ConsentWithdrawn` events, see `consent_subscription`).
"""

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from uuid import UUID

import httpx
import structlog
from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_kit.errors import ServiceUnavailable
from tandem_kit.events import EventEnvelope, Subscription, typed
from tandem_kit.oauth_client import ServiceClient

log = structlog.get_logger("matching.consent")

PURPOSE = "matching"
CHECKS_PATH = "/api/v1/consent/checks"
BATCH = 1000


class ConsentUnavailable(ServiceUnavailable):
    code, title = "consent-unavailable", "Consent service unavailable"


@dataclass(frozen=True)
class ConsentDecision:
    person_id: UUID
    granted: bool
    notice_version: int | None
    fields: frozenset[str]


class ConsentGate:
    def __init__(
        self,
        client: ServiceClient,
        *,
        ttl: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        purpose: str = PURPOSE,
    ) -> None:
        self.client = client
        self.purpose = purpose
        self.ttl = ttl
        self.clock = clock
        self._cache: dict[UUID, tuple[float, ConsentDecision]] = {}
        self.fetches = 0

    def cached(self, person_id: UUID) -> bool:
        entry = self._cache.get(person_id)
        return entry is not None and entry[0] > self.clock()

    def invalidate(self, person_id: UUID) -> None:
        self._cache.pop(person_id, None)

    async def check(self, person_ids: Sequence[UUID]) -> dict[UUID, ConsentDecision]:
        """Decisions for every person, asking the consent service only for those not cached."""
        now = self.clock()
        found: dict[UUID, ConsentDecision] = {}
        missing: list[UUID] = []
        for pid in dict.fromkeys(person_ids):
            cached = self._cache.get(pid)
            if cached is not None and cached[0] > now:
                found[pid] = cached[1]
            else:
                missing.append(pid)
        for start in range(0, len(missing), BATCH):
            for decision in await self._fetch(missing[start : start + BATCH]):
                found[decision.person_id] = decision
                if self.ttl > 0:
                    self._cache[decision.person_id] = (now + self.ttl, decision)
        for pid in missing:
            # The consent service answers for everyone it was asked about; silence is not a grant.
            found.setdefault(pid, ConsentDecision(pid, False, None, frozenset()))
        return found

    async def one(self, person_id: UUID) -> ConsentDecision:
        return (await self.check([person_id]))[person_id]

    async def _fetch(self, person_ids: Sequence[UUID]) -> list[ConsentDecision]:
        self.fetches += 1
        try:
            resp = await self.client.request(
                "POST",
                CHECKS_PATH,
                json={"person_ids": [str(p) for p in person_ids], "purpose": self.purpose},
            )
        except httpx.HTTPError as exc:
            log.warning("matching.consent.unreachable", error_type=type(exc).__name__)
            raise ConsentUnavailable(
                "The consent service could not be reached; nothing was matched."
            ) from exc
        if resp.status_code != 200:
            log.warning("matching.consent.failed", status=resp.status_code)
            raise ConsentUnavailable(
                f"The consent service answered {resp.status_code}; nothing was matched.",
                headers={"Retry-After": "5"},
            )
        return [
            ConsentDecision(
                person_id=UUID(str(item["person_id"])),
                granted=bool(item["granted"]),
                notice_version=item.get("notice_version"),
                fields=frozenset(item.get("fields") or ()) if item["granted"] else frozenset(),
            )
            for item in resp.json()["results"]
        ]

    async def aclose(self) -> None:
        await self.client.aclose()


class ConsentChanged(BaseModel):
    """What matching reads of `ConsentGranted` and `ConsentWithdrawn`."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    person_id: UUID


def consent_subscription(gate: ConsentGate) -> Subscription:
    """Drop the cached decision of whoever granted or withdrew consent."""

    async def on_consent_changed(
        _session: AsyncSession, envelope: EventEnvelope, data: ConsentChanged
    ) -> None:
        gate.invalidate(data.person_id)
        log.info("matching.consent.invalidated", person_id=str(data.person_id), event_type=envelope.type)

    return Subscription(
        name="matching-consent-changes",
        subjects=["tandem.consent.ConsentWithdrawn", "tandem.consent.ConsentGranted"],
        handler=typed(ConsentChanged, on_consent_changed),
    )
