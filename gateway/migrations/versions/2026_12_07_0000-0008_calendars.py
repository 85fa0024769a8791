"""Calendars: connections per person, busy cache, watch channels, event writes.

Revision ID: 0008_calendars
Revises: 0007_xapi
Create Date: 2026-12-07
"""

revision = "0008_calendars"
down_revision = "0007_xapi"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
