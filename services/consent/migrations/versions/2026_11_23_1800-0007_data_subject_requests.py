"""Data-subject requests (access, erasure) and the receipt each service sends for them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "data_subject_requests",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("expected_services", sa.ARRAY(sa.String(32)), nullable=False),
        sa.Column("requested_by", sa.String(200), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_data_subject_requests"),
        sa.CheckConstraint("kind IN ('access', 'erasure')", name="ck_data_subject_requests_kind"),
        sa.CheckConstraint("status IN ('open', 'completed')", name="ck_data_subject_requests_status"),
        sa.CheckConstraint(
            "(status = 'completed') = (completed_at IS NOT NULL)", name="ck_data_subject_requests_completed_at"
        ),
    )
    op.create_index("ix_data_subject_requests_person_id", "data_subject_requests", ["person_id"])
    op.create_index("ix_data_subject_requests_status_due_at", "data_subject_requests", ["status", "due_at"])
    # At most one open request of each kind per person: a repeated request joins the open one.
    op.create_index(
        "uq_data_subject_requests_open",
        "data_subject_requests",
        ["person_id", "kind"],
        unique=True,
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_table(
        "data_subject_receipts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("service", sa.String(32), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("export", postgresql.JSONB(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("submitted_by", sa.String(200), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_data_subject_receipts"),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["data_subject_requests.id"],
            name="fk_data_subject_receipts_request_id_data_subject_requests",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("request_id", "service", name="uq_data_subject_receipts_request_id"),
        sa.CheckConstraint("outcome IN ('completed', 'nothing_held')", name="ck_data_subject_receipts_outcome"),
        sa.CheckConstraint("records >= 0", name="ck_data_subject_receipts_records"),
    )


def downgrade() -> None:
    op.drop_table("data_subject_receipts")
    op.drop_table("data_subject_requests")
