"""Vendors (webhook secrets encrypted at rest) and the session telemetry they push.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "vendors",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("client_id", sa.String(200), nullable=True),
        sa.Column("secret_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_vendors"),
        sa.UniqueConstraint("name", name="uq_vendors_name"),
    )
    op.create_table(
        "session_telemetry",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("vendor_id", sa.Uuid(), nullable=False),
        sa.Column("webhook_id", sa.String(200), nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("vendor_session_id", sa.String(200), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=True),
        sa.Column("engagement_id", sa.Uuid(), nullable=True),
        sa.Column("match_id", sa.Uuid(), nullable=True),
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_minutes", sa.SmallInteger(), nullable=False),
        sa.Column("rating", sa.SmallInteger(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_session_telemetry"),
        sa.ForeignKeyConstraint(
            ["vendor_id"], ["vendors.id"], name="fk_session_telemetry_vendor_id_vendors", ondelete="RESTRICT"
        ),
        sa.UniqueConstraint("vendor_id", "webhook_id", name="uq_session_telemetry_vendor_id_webhook_id"),
    )
    op.create_index("ix_session_telemetry_session_id", "session_telemetry", ["session_id"])
    op.create_index("ix_session_telemetry_vendor_session", "session_telemetry", ["vendor_id", "vendor_session_id"])


def downgrade() -> None:
    op.drop_table("session_telemetry")
    op.drop_table("vendors")
