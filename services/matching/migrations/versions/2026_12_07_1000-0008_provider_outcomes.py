"""Provider outcomes from vendor telemetry (issue 16): analytics' `ProviderOutcomesUpdated`, kept per
provider for the continuing-eligibility gate.

Revision ID: 0008_provider_outcomes
Revises: 0007_sponsor_handoff
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_provider_outcomes"
down_revision = "0007_sponsor_handoff"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "provider_outcomes",
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("sessions_completed", sa.Integer(), nullable=False),
        sa.Column("sessions_no_show", sa.Integer(), nullable=False),
        sa.Column("completion_rate", sa.Float(), nullable=True),
        sa.Column("rating_median", sa.Float(), nullable=True),
        sa.Column("rating_count", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("provider_id", name="pk_provider_outcomes"),
    )


def downgrade() -> None:
    op.drop_table("provider_outcomes")
