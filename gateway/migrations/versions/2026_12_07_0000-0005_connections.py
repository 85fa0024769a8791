"""External connections: sealed OAuth tokens of HRIS pull connectors and calendars.

Revision ID: 0005_connections
Revises: 0004_directory
Create Date: 2026-12-07
"""

revision = "0005_connections"
down_revision = "0004_directory"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
