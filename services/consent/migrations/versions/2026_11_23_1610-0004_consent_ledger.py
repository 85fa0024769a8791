"""Consent ledger (append-only records with evidence) and each person's current state per purpose.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consent_states",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("purpose_id", sa.Uuid(), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("notice_version", sa.Integer(), nullable=True),
        sa.Column("fields", sa.ARRAY(sa.String(64)), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_consent_states"),
        sa.ForeignKeyConstraint(
            ["purpose_id"], ["purposes.id"], name="fk_consent_states_purpose_id_purposes", ondelete="RESTRICT"
        ),
        sa.UniqueConstraint("person_id", "purpose_id", name="uq_consent_states_person_id"),
        sa.CheckConstraint("granted = (notice_version IS NOT NULL)", name="ck_consent_states_granted_has_notice"),
    )
    op.create_index("ix_consent_states_person_id", "consent_states", ["person_id"])
    # The check endpoint asks "who of these people granted purpose X": purpose first.
    op.create_index("ix_consent_states_purpose_id_person_id", "consent_states", ["purpose_id", "person_id"])
    op.create_table(
        "consent_records",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("purpose_id", sa.Uuid(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("notice_version", sa.Integer(), nullable=True),
        sa.Column("fields", sa.ARRAY(sa.String(64)), nullable=False),
        sa.Column("method", sa.String(32), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("client_id", sa.String(200), nullable=False),
        sa.Column("on_behalf", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("evidence_reference", sa.String(500), nullable=True),
        sa.Column("evidence", postgresql.JSONB(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_consent_records"),
        sa.ForeignKeyConstraint(
            ["purpose_id"], ["purposes.id"], name="fk_consent_records_purpose_id_purposes", ondelete="RESTRICT"
        ),
        sa.UniqueConstraint("person_id", "purpose_id", "sequence", name="uq_consent_records_person_id"),
        sa.CheckConstraint("action IN ('granted', 'withdrawn')", name="ck_consent_records_action"),
    )
    op.create_index("ix_consent_records_person_id", "consent_records", ["person_id"])


def downgrade() -> None:
    op.drop_table("consent_records")
    op.drop_table("consent_states")
