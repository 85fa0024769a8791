"""Program status, provider sourcing and calibration records (issue 15).

Revision ID: 0006_program_controls
Revises: 0005_evidence
Create Date: 2026-12-07
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0006_program_controls"
down_revision = "0005_evidence"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
