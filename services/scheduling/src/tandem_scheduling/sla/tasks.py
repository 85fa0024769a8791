"""The periodic SLA scan, started with the app and stopped with it."""

from datetime import UTC, datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tandem_kit.app import Hook
from tandem_kit.tasks import background, repeat
from tandem_scheduling.sla.service import detect_breaches

log = structlog.get_logger("tandem.scheduling.sla")


async def scan_once(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    async with sessionmaker() as session, session.begin():
        return len(await detect_breaches(session, datetime.now(UTC)))


async def scan_forever(sessionmaker: async_sessionmaker[AsyncSession], every_seconds: float) -> None:
    # The database may be briefly away; the next round picks up whatever is overdue.
    await repeat(lambda: scan_once(sessionmaker), every_seconds, failure_event="scheduling.sla.scan_failed")


def hooks(every_seconds: float) -> tuple[Hook, Hook]:
    """Start-up and shutdown hooks running the scan every `every_seconds` (0 disables it)."""
    return background(
        "sla_scanner",
        lambda app: scan_forever(app.state.sessionmaker, every_seconds),
        enabled=every_seconds > 0,
    )
