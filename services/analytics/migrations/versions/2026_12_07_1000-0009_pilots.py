"""Pilot charters, gate evaluations, decisions, comparison (issue 16).

Revision ID: 0009_pilots
Revises: 0008_inputs
Create Date: 2026-12-07
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0009_pilots"
down_revision = "0008_inputs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
