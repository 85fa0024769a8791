"""The scheduler: every tick, sync each enabled, authorized connector whose last run started at least
`GATEWAY_HRIS__SYNC_INTERVAL_SECONDS` ago. A connector another replica is syncing is skipped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tandem_gateway.integrations.hris import repository
from tandem_gateway.integrations.hris.sync import SyncInProgress, run_sync
from tandem_gateway.settings import Settings
from tandem_kit.tasks import repeat

log = structlog.get_logger("tandem.gateway.hris")


async def sync_due(sessionmaker: async_sessionmaker[AsyncSession], settings: Settings) -> int:
    """Sync the connectors that are due; how many ran."""
    now = datetime.now(UTC)
    interval = timedelta(seconds=settings.hris.sync_interval_seconds)
    async with sessionmaker() as session:
        connectors = await repository.scheduled_connectors(session)
        due = []
        for connector in connectors:
            last = await repository.last_started(session, connector.id)
            if last is None or last + interval <= now:
                due.append(connector.id)
    ran = 0
    for connector_id in due:
        try:
            await run_sync(sessionmaker, settings, connector_id, trigger="schedule")
            ran += 1
        except SyncInProgress:
            log.info("gateway.hris.sync_skipped", connector_id=str(connector_id), reason="in_progress")
    return ran


async def scheduler(app: Any) -> None:
    settings: Settings = app.state.settings
    await repeat(
        lambda: sync_due(app.state.sessionmaker, settings),
        settings.hris.scheduler_tick_seconds,
        failure_event="gateway.hris.schedule_failed",
    )
