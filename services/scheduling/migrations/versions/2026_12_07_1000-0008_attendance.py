"""Attendance ledger (issue 15).

Revision ID: 0008_attendance
Revises: 0007_hr
Create Date: 2026-12-07
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0008_attendance"
down_revision = "0007_hr"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
