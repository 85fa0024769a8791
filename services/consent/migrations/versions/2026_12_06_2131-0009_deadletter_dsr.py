"""Data-subject requests: when the request event last went out and how often (stalled requests are re-dispatched).

Revision ID: 0009_deadletter_dsr
Revises: 0008_deadletter
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_deadletter_dsr"
down_revision = "0008_deadletter"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "data_subject_requests",
        sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.add_column(
        "data_subject_requests",
        sa.Column("dispatches", sa.Integer(), nullable=False, server_default=sa.text("1")),
    )
    op.execute("UPDATE data_subject_requests SET dispatched_at = created_at")


def downgrade() -> None:
    op.drop_column("data_subject_requests", "dispatches")
    op.drop_column("data_subject_requests", "dispatched_at")
