"""k-anonymity rules per purpose, seeded for analytics (groups of at least 5, HR-safe dimensions).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ANALYTICS_DIMENSIONS = ["cohort", "function", "job_level", "program", "region", "tenure_band", "track"]


def upgrade() -> None:
    rules = op.create_table(
        "anonymity_rules",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("purpose_id", sa.Uuid(), nullable=False),
        sa.Column("min_group_size", sa.Integer(), nullable=False),
        sa.Column("quasi_identifiers", sa.ARRAY(sa.String(64)), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_anonymity_rules"),
        sa.ForeignKeyConstraint(
            ["purpose_id"], ["purposes.id"], name="fk_anonymity_rules_purpose_id_purposes", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("purpose_id", name="uq_anonymity_rules_purpose_id"),
        sa.CheckConstraint("min_group_size >= 2", name="ck_anonymity_rules_k_at_least_two"),
    )
    op.bulk_insert(
        rules,
        [
            {
                "id": uuid.uuid5(uuid.NAMESPACE_URL, "tandem:anonymity-rule:analytics"),
                "purpose_id": uuid.uuid5(uuid.NAMESPACE_URL, "tandem:purpose:analytics"),
                "min_group_size": 5,
                "quasi_identifiers": ANALYTICS_DIMENSIONS,
            }
        ],
    )


def downgrade() -> None:
    op.drop_table("anonymity_rules")
