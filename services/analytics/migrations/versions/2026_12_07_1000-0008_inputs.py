"""Surveys, business-KPI imports, export watermarks (issue 16).

Revision ID: 0008_inputs
Revises: 0007_kpi
Create Date: 2026-12-07
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0008_inputs"
down_revision = "0007_kpi"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
