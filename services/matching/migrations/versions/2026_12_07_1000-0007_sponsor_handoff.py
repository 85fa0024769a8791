"""Sponsor action log and dual-track handoff (issue 15).

Revision ID: 0007_sponsor_handoff
Revises: 0006_program_controls
Create Date: 2026-12-07
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0007_sponsor_handoff"
down_revision = "0006_program_controls"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
