"""Kit tables: transactional outbox and processed events.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from tandem_kit.migrations import create_kit_tables, drop_kit_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_kit_tables()


def downgrade() -> None:
    drop_kit_tables()
