"""`sla_clocks.opened_after`: the end of the held session a `next_session_booked` clock counts from,
so that cancelling the session that kept the promise can reopen it (session 5).

Existing clocks keep it null: a cancellation never reopens them (the session they count from is not
known for sure once a program's policy has changed).

Revision ID: 0012_clock_opened_after
Revises: 0011_handoff
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_clock_opened_after"
down_revision = "0011_handoff"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sla_clocks", sa.Column("opened_after", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("sla_clocks", "opened_after")
