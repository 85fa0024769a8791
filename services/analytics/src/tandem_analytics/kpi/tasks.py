"""The periodic KPI snapshots: each KPI on its own frequency, started with the app and stopped with it."""

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tandem_analytics.kpi.service import scheduled_snapshots
from tandem_analytics.settings import Settings
from tandem_kit.app import Hook
from tandem_kit.tasks import background, repeat


async def snapshot_once(sessionmaker: async_sessionmaker[AsyncSession], settings: Settings) -> int:
    async with sessionmaker() as session, session.begin():
        return await scheduled_snapshots(session, settings=settings, now=datetime.now(UTC))


def hooks(settings: Settings) -> tuple[Hook, Hook]:
    """Check every `kpi_snapshot_seconds` (0 disables) which KPIs' frequency has come round."""
    every = settings.kpi_snapshot_seconds
    return background(
        "kpi_snapshots",
        lambda app: repeat(
            lambda: snapshot_once(app.state.sessionmaker, settings),
            every,
            failure_event="analytics.kpi.snapshot_failed",
        ),
        enabled=every > 0,
    )
