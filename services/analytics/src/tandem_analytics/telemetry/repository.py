from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_analytics.models import SessionTelemetry


async def insert_new(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> set[str]:
    """Insert rows whose (vendor, webhook id) is new; returns the webhook ids inserted now.

    Rows go in webhook-id order so that concurrent overlapping batches take row locks in the same
    order (no deadlock); a racing duplicate waits for the first writer and then does nothing.
    """
    if not rows:
        return set()
    ordered = sorted(rows, key=lambda r: r["webhook_id"])
    result = await session.execute(
        insert(SessionTelemetry)
        .values(ordered)
        .on_conflict_do_nothing(constraint="uq_session_telemetry_vendor_id_webhook_id")
        .returning(SessionTelemetry.webhook_id)
    )
    return set(result.scalars().all())


async def received_at(session: AsyncSession, vendor_id: Any, webhook_id: str) -> datetime | None:
    received = await session.scalar(
        select(SessionTelemetry.received_at).where(
            SessionTelemetry.vendor_id == vendor_id, SessionTelemetry.webhook_id == webhook_id
        )
    )
    return received
