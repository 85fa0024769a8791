"""Purposes, seeded with the four purposes Tandem uses personal data for.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SEED = [
    ("matching", "Matching", "Use of profile, HRIS and LMS fields to propose a coach or mentor."),
    ("analytics", "Program analytics", "Structured session indicators in anonymised program KPIs."),
    ("vendor_sharing", "Vendor sharing", "Sharing session metadata with the coaching vendor platform."),
    ("handoff", "Coaching-to-mentoring handoff", "Passing coaching context to the mentor who follows."),
]


def upgrade() -> None:
    purposes = op.create_table(
        "purposes",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("notice_version", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_purposes"),
        sa.UniqueConstraint("key", name="uq_purposes_key"),
    )
    op.bulk_insert(
        purposes,
        [{"id": uuid.uuid5(uuid.NAMESPACE_URL, f"tandem:purpose:{k}"), "key": k, "title": t, "description": d}
         for k, t, d in SEED],
    )


def downgrade() -> None:
    op.drop_table("purposes")
