"""XAPI: statements, curriculum mappings, evidence, LRS connections, LMS credentials.

Revision ID: 0007_xapi
Revises: 0006_hris_sync
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql


revision = "0007_xapi"
down_revision = "0006_hris_sync"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "xapi_credentials",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("secret_hash", sa.Text(), nullable=False),
        sa.Column("can_read", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_xapi_credentials"),
        sa.UniqueConstraint("key", name="uq_xapi_credentials_key"),
        sa.UniqueConstraint("name", name="uq_xapi_credentials_name"),
    )
    op.create_table(
        "xapi_statements",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("statement", postgresql.JSONB(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("actor_ifi", sa.Text(), nullable=False),
        sa.Column("verb_id", sa.Text(), nullable=False),
        sa.Column("activity_id", sa.Text(), nullable=True),
        sa.Column("registration", sa.Uuid(), nullable=True),
        sa.Column("voids", sa.Uuid(), nullable=True),
        sa.Column("voided_by", sa.Uuid(), nullable=True),
        sa.Column("writer", sa.String(64), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_xapi_statements"),
        sa.UniqueConstraint("seq", name="uq_xapi_statements_seq"),
    )
    op.create_index("ix_xapi_statements_person_id", "xapi_statements", ["person_id"])
    op.create_index("ix_xapi_statements_actor_ifi", "xapi_statements", ["actor_ifi"])
    op.create_index("ix_xapi_statements_stored_at", "xapi_statements", ["stored_at"])
    op.create_table(
        "xapi_curriculum_mappings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("activity_id", sa.Text(), nullable=False),
        sa.Column("item", sa.String(64), nullable=False),
        sa.Column("rule", sa.String(16), nullable=False),
        sa.Column("min_scaled", sa.Float(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_xapi_curriculum_mappings"),
        sa.UniqueConstraint(
            "program_id", "activity_id", name="uq_xapi_curriculum_mappings_program_id_activity_id"
        ),
    )
    op.create_index("ix_xapi_curriculum_mappings_program_id", "xapi_curriculum_mappings", ["program_id"])
    op.create_index("ix_xapi_curriculum_mappings_activity_id", "xapi_curriculum_mappings", ["activity_id"])
    op.create_table(
        "xapi_evidence",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("item", sa.String(64), nullable=False),
        sa.Column("statement_id", sa.Uuid(), nullable=False),
        sa.Column("verb", sa.String(16), nullable=False),
        sa.Column("counts", sa.Boolean(), nullable=False),
        sa.Column("score_scaled", sa.Float(), nullable=True),
        sa.Column("achieved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retracted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("voided_by", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_xapi_evidence"),
        sa.UniqueConstraint(
            "statement_id", "program_id", "item", name="uq_xapi_evidence_statement_id_program_id_item"
        ),
    )
    op.create_index("ix_xapi_evidence_person_id", "xapi_evidence", ["person_id"])
    op.create_index("ix_xapi_evidence_statement_id", "xapi_evidence", ["statement_id"])
    op.create_table(
        "xapi_lrs_connections",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation", sa.String(120), nullable=False),
        sa.Column("endpoint", sa.Text(), nullable=False),
        sa.Column("auth", sa.String(16), nullable=False),
        sa.Column("username", sa.String(200), nullable=False),
        sa.Column("secret_sealed", sa.Text(), nullable=False),
        sa.Column("token_url", sa.Text(), nullable=True),
        sa.Column("scope", sa.String(200), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_xapi_lrs_connections"),
        sa.UniqueConstraint("organisation", name="uq_xapi_lrs_connections_organisation"),
    )


def downgrade() -> None:
    op.drop_table("xapi_lrs_connections")
    op.drop_table("xapi_evidence")
    op.drop_table("xapi_curriculum_mappings")
    op.drop_table("xapi_statements")
    op.drop_table("xapi_credentials")
