"""Telemetry rows: one set-based statement per batch (insert, dedup, and the events it causes)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import msgspec
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_analytics.events import VendorSessionReported
from tandem_analytics.models import SessionTelemetry
from tandem_kit.events import NOTIFY_CHANNEL, subject_for

COLUMNS = (
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
DATA = ", ".join(name for name, _ in COLUMNS)
NAMES = f"webhook_id, type, occurred_at, {DATA}"
REPORTED = VendorSessionReported.event_type()

# The batch travels as one JSON document, the messages as the vendor sent them (`[{id, type,
# timestamp, data: {...}}]`), so a batch is one statement and one parameter whatever its size:
# PostgreSQL parses it (in C) and plans the statement once; Python builds no row. The replay guard
# is the unique (vendor, webhook id): ON CONFLICT DO NOTHING drops a known id. The same statement
# writes `VendorSessionReported` to the outbox for every stored outcome that names a Tandem session,
# so the events commit with the rows. It also keeps the latest outcome per vendor session
# (`vendor_session_outcomes`, what the KPIs read): the batch's newest outcome per vendor session (one
# row each, so no row is touched twice) replaces the stored one only when it is later by
# (occurred_at, received_at, telemetry id); rows go in vendor-session order, the lock order. A
# message counts only while its participant grants `vendor_sharing` (checked in the same statement).
# It answers the positions of the messages it did not store (usually none).
OUTCOME_COLUMNS = (
    "vendor_session_id, type, participant_id, provider_id, session_id, engagement_id, match_id, started_at,"
    " rating, occurred_at, received_at"
)
INSERT_BATCH = text(f"""
WITH incoming AS (
    SELECT m.position, m.id AS webhook_id, m.type,
           COALESCE(m.timestamp, CAST(:sent_at AS timestamptz)) AS occurred_at, {DATA},
           EXISTS (SELECT FROM vendor_sharing_consents AS v
                   WHERE v.person_id = d.participant_id AND v.granted) AS shared
    FROM ROWS FROM (jsonb_to_recordset(CAST(:batch AS jsonb)) AS (id text, type text, timestamp timestamptz, data jsonb))
        WITH ORDINALITY AS m(id, type, timestamp, data, position)
    CROSS JOIN LATERAL jsonb_to_record(m.data) AS d({", ".join(f"{name} {kind}" for name, kind in COLUMNS)})
    -- Webhook-id order: concurrent overlapping batches take their locks in the same order (no
    -- deadlock); a repeat inside the batch comes after its first copy and loses to it.
    ORDER BY webhook_id, position
), stored AS (
    INSERT INTO session_telemetry (id, vendor_id, {NAMES})
    SELECT gen_random_uuid(), CAST(:vendor_id AS uuid), {NAMES} FROM incoming WHERE shared
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
SELECT (SELECT count(*) FROM reported) AS events,
       (SELECT array_agg(position) FROM incoming WHERE NOT shared) AS dropped,
       (SELECT array_agg(position) FROM incoming
         WHERE shared AND webhook_id NOT IN (SELECT webhook_id FROM stored)) AS known
""")


@dataclass(frozen=True)
class Outcome:
    """What happened to a batch's messages, by position (from 0) in the batch document."""

    dropped: frozenset[int]  # their participant has not granted `vendor_sharing`: not stored
    known: frozenset[int]  # their id was stored before (a repeat of an id first stored now is not)


async def insert_batch(session: AsyncSession, vendor_id: UUID, batch: bytes, *, sent_at: datetime) -> Outcome:
    """Store the messages of `batch` (a JSON array of `{id, type, timestamp, data}`) whose (vendor,
    webhook id) is new and whose participant grants `vendor_sharing`; a message without a timestamp
    happened at `sent_at`. A racing duplicate waits for the first writer and then does nothing."""
    if batch == b"[]":
        return Outcome(frozenset(), frozenset())
    row = (
        await session.execute(
            INSERT_BATCH, {"batch": batch.decode(), "vendor_id": vendor_id, "sent_at": sent_at}
        )
    ).one()
    if row.events:
        await session.execute(text(f"NOTIFY {NOTIFY_CHANNEL}"))
    return Outcome(frozenset(p - 1 for p in row.dropped or ()), frozenset(p - 1 for p in row.known or ()))


async def insert_new(session: AsyncSession, vendor_id: UUID, rows: Sequence[Mapping[str, Any]]) -> set[str]:
    """`insert_batch` for rows already in the table's shape (`webhook_id`, `type`, `occurred_at` and
    the `COLUMNS`): the same statement and rules. Returns the webhook ids stored now."""
    document = msgspec.json.encode(
        [
            {
                "id": row["webhook_id"],
                "type": row["type"],
                "timestamp": row["occurred_at"],
                "data": {name: row[name] for name, _ in COLUMNS},
            }
            for row in rows
        ]
    )
    outcome = await insert_batch(session, vendor_id, document, sent_at=datetime.now(UTC))
    return {
        row["webhook_id"]
        for position, row in enumerate(rows)
        if position not in outcome.dropped and position not in outcome.known
    }


async def received_at(session: AsyncSession, vendor_id: Any, webhook_id: str) -> datetime | None:
    received = await session.scalar(
        select(SessionTelemetry.received_at).where(
            SessionTelemetry.vendor_id == vendor_id, SessionTelemetry.webhook_id == webhook_id
        )
    )
    return received
