"""The periodic eligibility scan: calibration reviews and certifications lapse with time alone."""

from datetime import datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tandem_kit.app import Hook
from tandem_kit.tasks import background, repeat
from tandem_matching.eligibility import Policy
from tandem_matching.provider import repository, service

BATCH = 200
log = structlog.get_logger("tandem.matching.eligibility")


async def scan_once(sessionmaker: async_sessionmaker[AsyncSession], *, now: datetime, policy: Policy) -> int:
    """Evaluate every provider at `now`, a batch per transaction; how many changed (each
    change emitted `ProviderEligibilityChanged` once: the next round finds nothing new)."""
    async with sessionmaker() as session:
        ids = list((await session.scalars(repository.all_ids())).all())
    changed = 0
    for start in range(0, len(ids), BATCH):
        async with sessionmaker() as session, session.begin():
            for provider in await repository.lock_many(session, ids[start : start + BATCH]):
                changed += await service.reevaluate(session, provider, now=now, policy=policy)
    if changed:
        log.info("matching.eligibility.scanned", providers=len(ids), changed=changed)
    return changed


def hooks(every_seconds: float, policy: Policy) -> tuple[Hook, Hook]:
    """Start-up and shutdown hooks running the scan every `every_seconds` (0 disables it)."""
    return background(
        "eligibility_scanner",
        lambda app: repeat(
            lambda: scan_once(app.state.sessionmaker, now=service.now(), policy=policy),
            every_seconds,
            failure_event="matching.eligibility.scan_failed",
        ),
        enabled=every_seconds > 0,
    )
