"""HR events: deactivated people.

Revision ID: 0007_hr
Revises: 0006_calendar
Create Date: 2026-12-07
"""

revision = "0007_hr"
down_revision = "0006_calendar"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
