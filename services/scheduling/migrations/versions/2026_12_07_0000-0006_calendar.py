"""Calendar verification of slots and bookings, conflicts.

Revision ID: 0006_calendar
Revises: 0005_erasure
Create Date: 2026-12-07
"""

revision = "0006_calendar"
down_revision = "0005_erasure"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
