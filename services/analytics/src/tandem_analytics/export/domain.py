"""What the warehouse export holds, table by table, and whose consent each row is kept under (pure).

Each row carries `export_key` (the warehouse's key for it, naming no one) and `_deleted`. A row
changed since the caller's watermark is sent whole when its person's `analytics` consent is granted,
and as `_deleted` with only its key otherwise (withdrawn, erased: an erased person's rows carry an
alias nobody consented for), as is a row deleted here (`export_tombstones`). Applying the file by
`export_key` (upsert, or delete when `_deleted`) keeps the warehouse equal to what may be shown.
"""

from dataclasses import dataclass

import pyarrow as pa


@dataclass(frozen=True)
class Column:
    name: str
    kind: pa.DataType


@dataclass(frozen=True)
class Export:
    table: str
    columns: tuple[Column, ...]
    # SQL for the person whose consent keeps the row (None: no person, always kept).
    person: str | None


UUID, TEXT, TS = pa.string(), pa.string(), pa.timestamp("us", tz="UTC")


def _cols(*pairs: tuple[str, pa.DataType]) -> tuple[Column, ...]:
    return tuple(Column(name, kind) for name, kind in pairs)


_ENGAGEMENT_PARTICIPANT = (
    "(SELECT e.participant_id FROM engagement_facts e WHERE e.engagement_id = t.engagement_id)"
)

EXPORTS: dict[str, Export] = {
    e.table: e
    for e in (
        Export(
            "session_telemetry",
            _cols(
                ("vendor_id", UUID),
                ("webhook_id", TEXT),
                ("type", TEXT),
                ("occurred_at", TS),
                ("vendor_session_id", TEXT),
                ("session_id", UUID),
                ("engagement_id", UUID),
                ("match_id", UUID),
                ("participant_id", UUID),
                ("provider_id", UUID),
                ("started_at", TS),
                ("duration_minutes", pa.int16()),
                ("rating", pa.int16()),
                ("received_at", TS),
            ),
            "t.participant_id",
        ),
        Export(
            "match_facts",
            _cols(
                ("match_id", UUID),
                ("program_id", UUID),
                ("participant_id", UUID),
                ("provider_id", UUID),
                ("provider_kind", TEXT),
                ("track", TEXT),
                ("approved_at", TS),
                ("ended_at", TS),
                ("end_reason", TEXT),
            ),
            "t.participant_id",
        ),
        Export(
            "engagement_facts",
            _cols(
                ("engagement_id", UUID),
                ("match_id", UUID),
                ("program_id", UUID),
                ("participant_id", UUID),
                ("provider_id", UUID),
                ("kickoff_due_at", TS),
                ("created_at", TS),
            ),
            "t.participant_id",
        ),
        Export(
            "session_facts",
            _cols(
                ("session_id", UUID),
                ("engagement_id", UUID),
                ("match_id", UUID),
                ("participant_id", UUID),
                ("provider_id", UUID),
                ("kind", TEXT),
                ("starts_at", TS),
                ("ends_at", TS),
                ("booked_at", TS),
                ("cancelled_at", TS),
            ),
            f"coalesce(t.participant_id, {_ENGAGEMENT_PARTICIPANT})",
        ),
        Export(
            "provider_facts",
            _cols(
                ("provider_id", UUID),
                ("person_id", UUID),
                ("program_id", UUID),
                ("kind", TEXT),
                ("capacity", pa.int32()),
                ("registered_at", TS),
            ),
            "t.person_id",
        ),
        Export(
            "sla_facts",
            _cols(
                ("engagement_id", UUID),
                ("sla", TEXT),
                ("match_id", UUID),
                ("due_at", TS),
                ("breached_at", TS),
            ),
            _ENGAGEMENT_PARTICIPANT,
        ),
        Export(
            "nps_responses",
            _cols(
                ("program_id", UUID),
                ("cohort", TEXT),
                ("respondent_id", UUID),
                ("score", pa.int16()),
                ("responded_at", TS),
                ("received_at", TS),
            ),
            "t.respondent_id",
        ),
        Export(
            "coaching_adoption_reports",
            _cols(
                ("program_id", UUID),
                ("quarter", TEXT),
                ("respondent_id", UUID),
                ("adopted", pa.bool_()),
                ("responded_at", TS),
                ("received_at", TS),
            ),
            "t.respondent_id",
        ),
        Export(
            "business_kpi_values",
            _cols(
                ("program_id", UUID),
                ("kpi_name", TEXT),
                ("period", TEXT),
                ("segment_kind", TEXT),
                ("segment", TEXT),
                ("value", pa.float64()),
                ("imported_at", TS),
            ),
            None,
        ),
    )
}


def schema(export: Export) -> pa.Schema:
    return pa.schema(
        [
            pa.field("export_key", pa.string(), nullable=False),
            pa.field("_deleted", pa.bool_(), nullable=False),
            *(pa.field(c.name, c.kind) for c in export.columns),
        ]
    )


def _value(column: Column) -> str:
    # CSV out of PostgreSQL, parsed by Arrow: ids as text, times as microseconds since the epoch.
    if column.kind == TS:
        return f"(extract(epoch FROM t.{column.name}) * 1000000)::bigint"
    return f"t.{column.name}::text" if column.kind == UUID else f"t.{column.name}"


def csv_types(export: Export) -> dict[str, pa.DataType]:
    """The Arrow type each CSV column is parsed as (times as int64, cast afterwards)."""
    return {
        "export_key": pa.string(),
        "_deleted": pa.bool_(),
        **{c.name: (pa.int64() if c.kind == TS else c.kind) for c in export.columns},
    }


def select_sql(export: Export) -> str:
    """Rows changed in [$1, $2) and rows deleted then (transaction ids), one statement."""
    kept = (
        "true"
        if export.person is None
        else f"EXISTS (SELECT 1 FROM analytics_consents c WHERE c.person_id = {export.person} AND c.granted)"
    )
    values = ", ".join(f"CASE WHEN kept THEN {_value(c)} END" for c in export.columns)
    nulls = ", ".join("NULL" for _ in export.columns)
    return (
        f"SELECT t.export_key::text, NOT kept, {values} FROM {export.table} t"
        f" CROSS JOIN LATERAL (SELECT {kept} AS kept) k"
        " WHERE t.changed_xid >= $1::text::xid8 AND t.changed_xid < $2::text::xid8"
        f" UNION ALL SELECT d.export_key::text, true, {nulls} FROM export_tombstones d"
        f" WHERE d.table_name = '{export.table}'"
        " AND d.changed_xid >= $1::text::xid8 AND d.changed_xid < $2::text::xid8"
    )
