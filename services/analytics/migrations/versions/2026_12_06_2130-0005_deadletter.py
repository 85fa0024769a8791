"""Kit table: dead letters, the events a consumer parked (invalid, or failed past its delivery budget).

Revision ID: 0005_deadletter
Revises: 0004
Create Date: 2026-12-06
"""

from tandem_kit.migrations import create_dead_letter_tables, drop_dead_letter_tables

revision = "0005_deadletter"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_dead_letter_tables()


def downgrade() -> None:
    drop_dead_letter_tables()
