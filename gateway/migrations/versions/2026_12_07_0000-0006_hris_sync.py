"""HRIS pull connectors: sync runs and cursors.

Revision ID: 0006_hris_sync
Revises: 0005_connections
Create Date: 2026-12-07
"""

revision = "0006_hris_sync"
down_revision = "0005_connections"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
