"""The periodic provider-outcome computation, started with the app and stopped with it."""

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tandem_analytics.outcome.service import send_changed
from tandem_kit.app import Hook
from tandem_kit.tasks import background, repeat


async def run_once(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    async with sessionmaker() as session, session.begin():
        return await send_changed(session, datetime.now(UTC))


def hooks(every_seconds: float) -> tuple[Hook, Hook]:
    """Start-up and shutdown hooks computing outcomes every `every_seconds` (0 disables it)."""
    return background(
        "provider_outcomes",
        lambda app: repeat(
            lambda: run_once(app.state.sessionmaker),
            every_seconds,
            failure_event="analytics.outcome.run_failed",
        ),
        enabled=every_seconds > 0,
    )
