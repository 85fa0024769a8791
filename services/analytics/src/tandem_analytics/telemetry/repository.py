"""Telemetry rows: one set-based statement per batch (insert, dedup, and the events it causes)."""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_analytics.events import VendorSessionReported
from tandem_analytics.models import SessionTelemetry, VendorSharingConsent
from tandem_kit.events import NOTIFY_CHANNEL, subject_for

COLUMNS = (
    ("webhook_id", "text"),
    ("type", "text"),
    ("occurred_at", "timestamptz"),
    ("vendor_session_id", "text"),
    ("session_id", "uuid"),
    ("engagement_id", "uuid"),
    ("match_id", "uuid"),
    ("participant_id", "uuid"),
    ("provider_id", "uuid"),
    ("started_at", "timestamptz"),
    ("duration_minutes", "int2"),
    ("rating", "int2"),
)
NAMES = ", ".join(name for name, _ in COLUMNS)
REPORTED = VendorSessionReported.event_type()

# Rows travel as one array per column (`unnest`), so a batch is one statement whatever its size and
# PostgreSQL plans it once. The replay guard is the unique (vendor, webhook id): ON CONFLICT DO
# NOTHING drops a known id, and a repeat inside the batch loses to its first copy. The same
# statement writes `VendorSessionReported` to the outbox for every stored outcome that names a
# Tandem session, so the events commit with the rows. It also keeps the latest outcome per vendor
# session (`vendor_session_outcomes`, what the KPIs read): the batch's newest outcome per vendor
# session (one row each, so no row is touched twice) replaces the stored one only when it is later by
# (occurred_at, received_at, telemetry id); rows go in vendor-session order, the lock order.
OUTCOME_COLUMNS = (
    "vendor_session_id, type, participant_id, provider_id, session_id, engagement_id, match_id, started_at,"
    " rating, occurred_at, received_at"
)
INSERT_BATCH = text(f"""
WITH incoming AS (
    SELECT {NAMES} FROM unnest({", ".join(f"CAST(:{name} AS {kind}[])" for name, kind in COLUMNS)})
        WITH ORDINALITY AS r({NAMES}, position)
    ORDER BY position
), stored AS (
    INSERT INTO session_telemetry (id, vendor_id, {NAMES})
    SELECT gen_random_uuid(), CAST(:vendor_id AS uuid), {NAMES} FROM incoming
    ON CONFLICT ON CONSTRAINT uq_session_telemetry_vendor_id_webhook_id DO NOTHING
    RETURNING id, webhook_id, {OUTCOME_COLUMNS}
), latest AS (
    INSERT INTO vendor_session_outcomes AS kept (vendor_id, {OUTCOME_COLUMNS}, telemetry_id)
    SELECT DISTINCT ON (vendor_session_id) CAST(:vendor_id AS uuid), {OUTCOME_COLUMNS}, id FROM stored
    WHERE type IN ('session.completed', 'session.no_show')
    ORDER BY vendor_session_id, occurred_at DESC, received_at DESC, id DESC
    ON CONFLICT ON CONSTRAINT pk_vendor_session_outcomes DO UPDATE SET
        {", ".join(f"{c} = excluded.{c}" for c in (*OUTCOME_COLUMNS.split(", ")[1:], "telemetry_id"))}
    WHERE (excluded.occurred_at, excluded.received_at, excluded.telemetry_id)
        > (kept.occurred_at, kept.received_at, kept.telemetry_id)
), reported AS (
    INSERT INTO outbox_messages (id, subject, payload)
    SELECT event_id, '{subject_for("analytics", REPORTED)}', jsonb_build_object(
        'id', event_id, 'type', '{REPORTED}', 'source', 'analytics', 'occurred_at', now(),
        'data', jsonb_build_object(
            'telemetry_id', id, 'vendor_id', CAST(:vendor_id AS uuid), 'session_id', session_id,
            'outcome', CASE type WHEN 'session.completed' THEN 'completed' ELSE 'no_show' END,
            'occurred_at', occurred_at, 'received_at', received_at))
    FROM (SELECT gen_random_uuid() AS event_id, * FROM stored
          WHERE session_id IS NOT NULL AND type IN ('session.completed', 'session.no_show')) AS outcome
    RETURNING 1
)
SELECT webhook_id, (SELECT count(*) FROM reported) AS events FROM stored
""")


async def insert_new(session: AsyncSession, vendor_id: UUID, rows: Sequence[dict[str, Any]]) -> set[str]:
    """Insert rows whose (vendor, webhook id) is new; returns the webhook ids inserted now.

    Rows go in webhook-id order so that concurrent overlapping batches take row locks in the same
    order (no deadlock); a racing duplicate waits for the first writer and then does nothing.
    """
    if not rows:
        return set()
    ordered = sorted(rows, key=lambda r: r["webhook_id"])
    params: dict[str, Any] = {name: [row[name] for row in ordered] for name, _ in COLUMNS}
    result = (await session.execute(INSERT_BATCH, {**params, "vendor_id": vendor_id})).all()
    if result and result[0].events:
        await session.execute(text(f"NOTIFY {NOTIFY_CHANNEL}"))
    return {row.webhook_id for row in result}


async def sharing(session: AsyncSession, person_ids: Iterable[UUID]) -> set[UUID]:
    """Which of these people let vendors share data about them now (one query for a whole batch)."""
    wanted = list(set(person_ids))
    if not wanted:
        return set()
    found = await session.scalars(
        select(VendorSharingConsent.person_id).where(
            VendorSharingConsent.person_id.in_(wanted), VendorSharingConsent.granted.is_(True)
        )
    )
    return set(found.all())


async def received_at(session: AsyncSession, vendor_id: Any, webhook_id: str) -> datetime | None:
    received = await session.scalar(
        select(SessionTelemetry.received_at).where(
            SessionTelemetry.vendor_id == vendor_id, SessionTelemetry.webhook_id == webhook_id
        )
    )
    return received
