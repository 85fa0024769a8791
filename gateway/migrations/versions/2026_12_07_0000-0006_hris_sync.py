"""HRIS pull connectors: sync runs and cursors.

Revision ID: 0006_hris_sync
Revises: 0005_connections
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006_hris_sync"
down_revision = "0005_connections"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hris_connectors",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("vendor", sa.String(16), nullable=False),
        sa.Column("tenant", sa.String(200), nullable=False),
        sa.Column("api_base_url", sa.Text(), nullable=False),
        sa.Column("auth_base_url", sa.Text(), nullable=False),
        sa.Column("client_id", sa.String(200), nullable=False),
        sa.Column("client_secret_sealed", sa.Text(), nullable=False),
        sa.Column("scopes", postgresql.ARRAY(sa.String(200)), nullable=False),
        sa.Column("level_field", sa.String(100), nullable=True),
        sa.Column("connection_id", sa.Uuid(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("vendor IN ('workday', 'bamboohr')", name="ck_hris_connectors_vendor"),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["external_connections.id"],
            name="fk_hris_connectors_connection_id_external_connections",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_hris_connectors"),
        sa.UniqueConstraint("name", name="uq_hris_connectors_name"),
    )
    op.create_table(
        "hris_sync_cursors",
        sa.Column("connector_id", sa.Uuid(), nullable=False),
        sa.Column("changed_since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.ForeignKeyConstraint(
            ["connector_id"],
            ["hris_connectors.id"],
            name="fk_hris_sync_cursors_connector_id_hris_connectors",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("connector_id", name="pk_hris_sync_cursors"),
    )
    op.create_table(
        "hris_sync_runs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("connector_id", sa.Uuid(), nullable=False),
        sa.Column("trigger", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("changed_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("changed_through", sa.DateTime(timezone=True), nullable=True),
        sa.Column("records_seen", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("records_changed", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("records_unchanged", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("records_failed", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("error", sa.String(64), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["connector_id"],
            ["hris_connectors.id"],
            name="fk_hris_sync_runs_connector_id_hris_connectors",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_hris_sync_runs"),
    )
    op.create_index("ix_hris_sync_runs_connector_id", "hris_sync_runs", ["connector_id"])
    op.create_table(
        "hris_sync_failures",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("external_id", sa.String(200), nullable=False),
        sa.Column("reason", sa.String(64), nullable=False),
        sa.Column("attribute", sa.String(100), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["hris_sync_runs.id"],
            name="fk_hris_sync_failures_run_id_hris_sync_runs",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_hris_sync_failures"),
    )
    op.create_index("ix_hris_sync_failures_run_id", "hris_sync_failures", ["run_id"])


def downgrade() -> None:
    op.drop_index("ix_hris_sync_failures_run_id", table_name="hris_sync_failures")
    op.drop_table("hris_sync_failures")
    op.drop_index("ix_hris_sync_runs_connector_id", table_name="hris_sync_runs")
    op.drop_table("hris_sync_runs")
    op.drop_table("hris_sync_cursors")
    op.drop_table("hris_connectors")
