"""HR events: deactivated people.

Revision ID: 0007_hr
Revises: 0006_calendar
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_hr"
down_revision = "0006_calendar"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "person_statuses",
        sa.Column("person_id", sa.Uuid(), primary_key=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("person_statuses")
