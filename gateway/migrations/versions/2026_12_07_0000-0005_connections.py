"""External connections: sealed OAuth tokens of HRIS pull connectors and calendars.

Revision ID: 0005_connections
Revises: 0004_directory
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005_connections"
down_revision = "0004_directory"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "external_connections",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("integration", sa.String(64), nullable=True),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("scopes", postgresql.ARRAY(sa.String(200)), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("access_token_sealed", sa.Text(), nullable=True),
        sa.Column("refresh_token_sealed", sa.Text(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("connected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("broken_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("broken_reason", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_external_connections"),
        sa.CheckConstraint(
            "(person_id IS NULL) <> (integration IS NULL)", name="ck_external_connections_one_owner"
        ),
        sa.CheckConstraint(
            "status IN ('active', 'needs_reauth', 'disconnected')", name="ck_external_connections_status"
        ),
    )
    op.create_index(
        "uq_external_connections_person_provider",
        "external_connections",
        ["person_id", "provider"],
        unique=True,
        postgresql_where=sa.text("person_id IS NOT NULL"),
    )
    op.create_index(
        "uq_external_connections_integration_provider",
        "external_connections",
        ["integration", "provider"],
        unique=True,
        postgresql_where=sa.text("integration IS NOT NULL"),
    )
    op.create_table(
        "connection_authorizations",
        sa.Column("state_hash", sa.String(64), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("integration", sa.String(64), nullable=True),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("code_verifier_sealed", sa.Text(), nullable=False),
        sa.Column("redirect_uri", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("state_hash", name="pk_connection_authorizations"),
        sa.CheckConstraint(
            "(person_id IS NULL) <> (integration IS NULL)", name="ck_connection_authorizations_one_owner"
        ),
    )
    op.create_index(
        "ix_connection_authorizations_expires_at", "connection_authorizations", ["expires_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_connection_authorizations_expires_at", table_name="connection_authorizations")
    op.drop_table("connection_authorizations")
    op.drop_index("uq_external_connections_integration_provider", table_name="external_connections")
    op.drop_index("uq_external_connections_person_provider", table_name="external_connections")
    op.drop_table("external_connections")
