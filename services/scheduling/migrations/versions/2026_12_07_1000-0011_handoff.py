"""Dual-track handoff on the scheduling side (issue 15).

Revision ID: 0011_handoff
Revises: 0010_group_sessions
Create Date: 2026-12-07
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0011_handoff"
down_revision = "0010_group_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
