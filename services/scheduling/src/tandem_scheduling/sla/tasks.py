"""The periodic SLA scan, started with the app and stopped with it."""

from datetime import UTC, datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tandem_kit.app import Hook
from tandem_kit.tasks import background, repeat
from tandem_scheduling.sla.repository import Breach
from tandem_scheduling.sla.service import SCAN_BATCH, scan_pass

log = structlog.get_logger("tandem.scheduling.sla")


async def scan_once(
    sessionmaker: async_sessionmaker[AsyncSession], *, batch: int = SCAN_BATCH, now: datetime | None = None
) -> list[list[Breach]]:
    """One scan: passes of at most `batch` clocks, each in its own transaction (committed before the
    next starts), until a pass finds less than a full batch. A backlog never holds one long
    transaction, and scanners on several replicas share it (each pass skips the rows another holds).
    The breaches of each pass, in order."""
    now = now or datetime.now(UTC)
    passes: list[list[Breach]] = []
    while True:
        async with sessionmaker() as session, session.begin():
            done = await scan_pass(session, now, limit=batch)
        passes.append(done.breaches)
        if len(done.breaches) < batch and done.announced < batch:
            return passes


async def scan_forever(
    sessionmaker: async_sessionmaker[AsyncSession], every_seconds: float, *, batch: int = SCAN_BATCH
) -> None:
    # The database may be briefly away; the next round picks up whatever is overdue.
    await repeat(
        lambda: scan_once(sessionmaker, batch=batch),
        every_seconds,
        failure_event="scheduling.sla.scan_failed",
    )


def hooks(every_seconds: float, *, batch: int = SCAN_BATCH) -> tuple[Hook, Hook]:
    """Start-up and shutdown hooks running the scan every `every_seconds` (0 disables it), in passes of
    at most `batch` clocks."""
    return background(
        "sla_scanner",
        lambda app: scan_forever(app.state.sessionmaker, every_seconds, batch=batch),
        enabled=every_seconds > 0,
    )
