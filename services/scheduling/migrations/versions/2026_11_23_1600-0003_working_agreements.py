"""Working agreements: the eight clauses of seed 004 section 3, signed by both parties.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "working_agreements",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("engagement_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("clauses", postgresql.JSONB(), nullable=False),
        sa.Column("participant_signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("provider_signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_by", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["engagement_id"], ["engagements.id"], name="fk_working_agreements_engagement_id_engagements",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_working_agreements"),
        sa.UniqueConstraint("engagement_id", name="uq_working_agreements_engagement_id"),
    )


def downgrade() -> None:
    op.drop_table("working_agreements")
