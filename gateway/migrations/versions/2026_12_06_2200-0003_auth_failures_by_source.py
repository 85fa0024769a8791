"""Authentication failures are counted per source address, no longer per client id.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Counts per client id say nothing about a source; the window is a minute, so nothing is lost.
    op.execute("DELETE FROM auth_failures")
    op.alter_column("auth_failures", "client_id", new_column_name="source", type_=sa.String(64))


def downgrade() -> None:
    op.execute("DELETE FROM auth_failures")
    op.alter_column("auth_failures", "source", new_column_name="client_id", type_=sa.String(64))
