"""The periodic SLA scan, started with the app and stopped with it."""

import asyncio
from datetime import UTC, datetime

import structlog
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tandem_kit.app import Hook
from tandem_kit.tasks import cancel_and_wait
from tandem_scheduling.sla.service import detect_breaches

log = structlog.get_logger("tandem.scheduling.sla")


async def scan_once(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    async with sessionmaker() as session, session.begin():
        return len(await detect_breaches(session, datetime.now(UTC)))


async def scan_forever(sessionmaker: async_sessionmaker[AsyncSession], every_seconds: float) -> None:
    while True:
        try:
            await scan_once(sessionmaker)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            # The database may be briefly away; the next round picks up whatever is overdue.
            log.warning("scheduling.sla.scan_failed", error_type=type(exc).__name__)
        await asyncio.sleep(every_seconds)


def starter(every_seconds: float) -> Hook:
    """An `on_startup` hook that runs the scan every `every_seconds` (0 disables it)."""

    async def start(app: FastAPI) -> None:
        if every_seconds <= 0:
            return
        app.state.sla_scanner = asyncio.create_task(
            scan_forever(app.state.sessionmaker, every_seconds), name="scheduling-sla-scan"
        )

    return start


async def stop(app: FastAPI) -> None:
    await cancel_and_wait(getattr(app.state, "sla_scanner", None))
