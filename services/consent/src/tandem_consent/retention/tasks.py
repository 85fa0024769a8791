"""The scheduled retention purge: a loop inside the service, or one run from the command line (cron).

`python -m tandem_consent.retention.tasks` runs one purge against `CONSENT_DATABASE_URL` and exits.
"""

import asyncio

import structlog
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tandem_consent.retention import service
from tandem_consent.settings import Settings
from tandem_kit.app import Hook
from tandem_kit.auth import Principal
from tandem_kit.db import Database
from tandem_kit.logs import configure_logging
from tandem_kit.tasks import background, repeat

log = structlog.get_logger("tandem.consent.retention")

JOB = Principal(
    subject="consent-retention-job", client_id="consent", scopes=frozenset({"admin"}), token_id="job"
)


async def purge_once(maker: async_sessionmaker[AsyncSession], *, every_seconds: float) -> None:
    async with maker() as session, session.begin():
        run = await service.run_if_due(session, JOB, every_seconds=every_seconds)
    if run is not None:
        log.info("consent.retention.purged", run_id=str(run.id), steps=len(run.results))


def hooks(every_seconds: float) -> tuple[Hook, Hook]:
    """Start-up and shutdown hooks running the purge loop; `every_seconds <= 0` turns it off.

    It checks often and purges when due: a restart neither skips a day nor purges twice."""
    check = min(every_seconds, 300.0)

    async def loop(app: FastAPI) -> None:
        await repeat(
            lambda: purge_once(app.state.sessionmaker, every_seconds=every_seconds),
            check,
            failure_event="consent.retention.failed",
        )

    return background("retention_loop", loop, enabled=every_seconds > 0)


async def main() -> None:
    settings = Settings()
    configure_logging(settings.log_level, service="consent")
    database = Database(settings.database_url, pool_size=1)
    try:
        await purge_once(database.sessionmaker, every_seconds=0)
    finally:
        await database.dispose()


if __name__ == "__main__":
    asyncio.run(main())
