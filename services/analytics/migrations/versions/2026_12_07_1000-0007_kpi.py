"""KPI catalog, facts of issue 15 events, snapshots (issue 16).

Revision ID: 0007_kpi
Revises: 0006_person_facts
Create Date: 2026-12-07
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0007_kpi"
down_revision = "0006_person_facts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
