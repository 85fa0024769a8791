"""Outcomes back to matching (seed 004 §5): per provider, sessions completed and no-shows and the
participants' rating median (k=5 ratings, else null), from vendor telemetry, sent as
`ProviderOutcomesUpdated` only when they changed. Matching's continuing-eligibility gate reads them."""

from datetime import datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_analytics.events import ProviderOutcomesUpdated
from tandem_analytics.outcome import repository
from tandem_kit.events import emit_many

log = structlog.get_logger("tandem.analytics.outcome")

RATING_K = 5


async def send_changed(session: AsyncSession, now: datetime) -> int:
    """Compute every provider's outcomes at `now`; emit those that changed since last sent."""
    rows = await repository.changed_outcomes(session, now=now, k=RATING_K)
    await emit_many(session, [ProviderOutcomesUpdated.model_validate(row._mapping) for row in rows])
    if rows:
        log.info("analytics.outcome.sent", providers=len(rows))
    return len(rows)
