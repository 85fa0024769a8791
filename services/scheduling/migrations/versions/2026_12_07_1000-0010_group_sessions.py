"""Group sessions, seats and waitlists (issue 15).

Revision ID: 0010_group_sessions
Revises: 0009_sla_escalations
Create Date: 2026-12-07
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0010_group_sessions"
down_revision = "0009_sla_escalations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
