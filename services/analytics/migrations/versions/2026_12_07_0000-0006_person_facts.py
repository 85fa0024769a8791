"""Person facts with history, promotion facts, and the analytics consent they are kept under.

Revision ID: 0006_person_facts
Revises: 0005_erasure
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_person_facts"
down_revision = "0005_erasure"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analytics_consents",
        sa.Column("person_id", sa.Uuid(), primary_key=True),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "person_facts",
        sa.Column("person_id", sa.Uuid(), primary_key=True),
        sa.Column("hire_date", sa.Date()),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("active_since", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "job_facts",
        sa.Column("person_id", sa.Uuid(), primary_key=True),
        sa.Column("valid_from", sa.DateTime(timezone=True), primary_key=True),
        sa.Column("level", sa.String(100)),
        sa.Column("level_rank", sa.Integer()),
        sa.Column("department", sa.String(200)),
        sa.Column("manager_id", sa.Uuid()),
    )
    op.create_table(
        "promotion_facts",
        sa.Column("person_id", sa.Uuid(), primary_key=True),
        sa.Column("promoted_at", sa.DateTime(timezone=True), primary_key=True),
        sa.Column("from_level", sa.String(100)),
        sa.Column("to_level", sa.String(100)),
    )


def downgrade() -> None:
    for table in ("promotion_facts", "job_facts", "person_facts", "analytics_consents"):
        op.drop_table(table)
