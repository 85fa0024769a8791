"""SLA policies per layer, cadence checkpoints and escalations (issue 15).

Revision ID: 0009_sla_escalations
Revises: 0008_attendance
Create Date: 2026-12-07
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0009_sla_escalations"
down_revision = "0008_attendance"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
