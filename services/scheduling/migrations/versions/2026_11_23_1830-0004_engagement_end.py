"""The end of an engagement: `engagements.ended_at`, and the matches that ended before scheduling knew them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23

Engagements ended by an erasure before this revision keep `ended_at` NULL: when they ended was not
recorded, and retention infers it for them as before.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("engagements", sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "ended_matches",
        sa.Column("match_id", sa.Uuid(), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("match_id", name="pk_ended_matches"),
    )


def downgrade() -> None:
    op.drop_table("ended_matches")
    op.drop_column("engagements", "ended_at")
