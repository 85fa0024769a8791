"""Match facts record how a match ended; an end may be applied before the approval it ends.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("match_facts", sa.Column("end_reason", sa.String(20), nullable=True))
    # MatchEnded carries no track or approval time: a row made by an early end waits for MatchApproved.
    op.alter_column("match_facts", "track", existing_type=sa.String(40), nullable=True)
    op.alter_column("match_facts", "approved_at", existing_type=sa.DateTime(timezone=True), nullable=True)


def downgrade() -> None:
    # Ends applied before their approval have no approval to keep: they cannot go back to NOT NULL.
    op.execute("DELETE FROM match_facts WHERE approved_at IS NULL OR track IS NULL")
    op.alter_column("match_facts", "approved_at", existing_type=sa.DateTime(timezone=True), nullable=False)
    op.alter_column("match_facts", "track", existing_type=sa.String(40), nullable=False)
    op.drop_column("match_facts", "end_reason")
