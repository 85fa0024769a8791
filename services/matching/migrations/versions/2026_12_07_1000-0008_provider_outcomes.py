"""Provider outcomes from vendor telemetry (issue 16).

Revision ID: 0008_provider_outcomes
Revises: 0007_sponsor_handoff
Create Date: 2026-12-07
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0008_provider_outcomes"
down_revision = "0007_sponsor_handoff"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
