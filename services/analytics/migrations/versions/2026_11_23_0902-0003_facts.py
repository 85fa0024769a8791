"""Fact tables fed by matching and scheduling domain events.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "provider_facts",
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("provider_id", name="pk_provider_facts"),
    )
    op.create_index("ix_provider_facts_program_id", "provider_facts", ["program_id"])
    op.create_table(
        "match_facts",
        sa.Column("match_id", sa.Uuid(), nullable=False),
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("provider_kind", sa.String(20), nullable=False),
        sa.Column("track", sa.String(40), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("match_id", name="pk_match_facts"),
    )
    op.create_index("ix_match_facts_program_id", "match_facts", ["program_id"])
    op.create_table(
        "engagement_facts",
        sa.Column("engagement_id", sa.Uuid(), nullable=False),
        sa.Column("match_id", sa.Uuid(), nullable=False),
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("kickoff_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("engagement_id", name="pk_engagement_facts"),
    )
    op.create_index("ix_engagement_facts_match_id", "engagement_facts", ["match_id"])
    op.create_index("ix_engagement_facts_program_id", "engagement_facts", ["program_id"])
    op.create_table(
        "session_facts",
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("engagement_id", sa.Uuid(), nullable=False),
        sa.Column("match_id", sa.Uuid(), nullable=True),
        sa.Column("participant_id", sa.Uuid(), nullable=True),
        sa.Column("provider_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(20), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("booked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("session_id", name="pk_session_facts"),
    )
    op.create_index("ix_session_facts_engagement_id", "session_facts", ["engagement_id"])
    op.create_index("ix_session_facts_match_id", "session_facts", ["match_id"])
    op.create_table(
        "sla_facts",
        sa.Column("engagement_id", sa.Uuid(), nullable=False),
        sa.Column("sla", sa.String(40), nullable=False),
        sa.Column("match_id", sa.Uuid(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("breached_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("engagement_id", "sla", name="pk_sla_facts"),
    )


def downgrade() -> None:
    for table in ("sla_facts", "session_facts", "engagement_facts", "match_facts", "provider_facts"):
        op.drop_table(table)
