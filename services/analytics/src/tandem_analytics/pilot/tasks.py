"""The periodic gate run: every gate that came due is evaluated once, as of its own date."""

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tandem_analytics.pilot.service import evaluate_due
from tandem_kit.app import Hook
from tandem_kit.tasks import background, repeat


async def evaluate_once(sessionmaker: async_sessionmaker[AsyncSession], *, k: int) -> int:
    async with sessionmaker() as session, session.begin():
        return len(await evaluate_due(session, datetime.now(UTC).date(), k=k))


def hooks(every_seconds: float, *, k: int) -> tuple[Hook, Hook]:
    """Start-up and shutdown hooks running the gate evaluation every `every_seconds` (0 disables it)."""

    async def forever(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        # The database may be briefly away; the next round evaluates whatever came due meanwhile.
        await repeat(
            lambda: evaluate_once(sessionmaker, k=k),
            every_seconds,
            failure_event="analytics.pilot.gates_failed",
        )

    return background("pilot_gates", lambda app: forever(app.state.sessionmaker), enabled=every_seconds > 0)
