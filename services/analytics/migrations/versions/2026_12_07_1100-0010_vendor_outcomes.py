"""The latest vendor outcome per vendor session, kept at ingest (the KPIs read it instead of sorting
every telemetry row), back-filled from the telemetry already stored. Two telemetry indexes go, since
every index costs the ingest: (vendor, vendor session) (nothing reads telemetry by vendor session any
more but the daily retention run, which scans the table anyway) and session_id (nothing reads
telemetry by Tandem session: the KPIs read the kept outcomes).

Revision ID: 0010_vendor_outcomes
Revises: 0009_pilots
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_vendor_outcomes"
down_revision = "0009_pilots"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)
COLUMNS = (
    "vendor_id, vendor_session_id, type, participant_id, provider_id, session_id, engagement_id, match_id,"
    " started_at, rating, occurred_at, received_at"
)


def upgrade() -> None:
    op.create_table(
        "vendor_session_outcomes",
        sa.Column("vendor_id", sa.Uuid(), nullable=False),
        sa.Column("vendor_session_id", sa.String(200), nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=True),
        sa.Column("engagement_id", sa.Uuid(), nullable=True),
        sa.Column("match_id", sa.Uuid(), nullable=True),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("rating", sa.SmallInteger(), nullable=True),
        sa.Column("occurred_at", TZ, nullable=False),
        sa.Column("received_at", TZ, nullable=False),
        sa.Column("telemetry_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("vendor_id", "vendor_session_id", name="pk_vendor_session_outcomes"),
    )
    # The same order the ingest upsert keeps: latest occurred_at, then received_at, then telemetry id.
    op.execute(
        f"INSERT INTO vendor_session_outcomes ({COLUMNS}, telemetry_id) "
        f"SELECT DISTINCT ON (vendor_id, vendor_session_id) {COLUMNS}, id FROM session_telemetry "
        "WHERE type IN ('session.completed', 'session.no_show') "
        "ORDER BY vendor_id, vendor_session_id, occurred_at DESC, received_at DESC, id DESC"
    )
    op.drop_index("ix_session_telemetry_vendor_session", table_name="session_telemetry")
    op.drop_index("ix_session_telemetry_session_id", table_name="session_telemetry")


def downgrade() -> None:
    op.create_index("ix_session_telemetry_session_id", "session_telemetry", ["session_id"])
    op.create_index(
        "ix_session_telemetry_vendor_session", "session_telemetry", ["vendor_id", "vendor_session_id"]
    )
    op.drop_table("vendor_session_outcomes")
