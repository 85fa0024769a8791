"""HR facts from the directory: people projection, review flags, read-back.

Revision ID: 0004_directory_facts
Revises: 0003_erasure
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0004_directory_facts"
down_revision = "0003_erasure"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "directory_people",
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("level", sa.String(100), nullable=True),
        sa.Column("level_rank", sa.Integer(), nullable=True),
        sa.Column("department", sa.String(200), nullable=True),
        sa.Column("manager_id", sa.Uuid(), nullable=True),
        sa.Column("hire_date", sa.Date(), nullable=True),
        sa.Column("job_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("person_id", name="pk_directory_people"),
    )
    op.create_index("ix_directory_people_manager_id", "directory_people", ["manager_id"])
    op.add_column("matches", sa.Column("review_reason", sa.String(32), nullable=True))
    op.add_column("matches", sa.Column("flagged_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "proposals",
        sa.Column("directory_left_out", JSONB(), nullable=False, server_default=sa.text("'[]'::jsonb")),
    )


def downgrade() -> None:
    op.drop_column("proposals", "directory_left_out")
    op.drop_column("matches", "flagged_at")
    op.drop_column("matches", "review_reason")
    op.drop_index("ix_directory_people_manager_id", table_name="directory_people")
    op.drop_table("directory_people")
