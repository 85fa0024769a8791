"""Retention policies per data category (seeded) and the log of purge runs.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

import uuid

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

POLICIES = [
    # category, holding service, days, action, description
    ("consent_evidence", "consent", 2190, "delete",
     "Ledger records of a purpose the person withdrew (or never granted): kept six years after the last "
     "decision as proof, then deleted."),
    ("data_subject_requests", "consent", 1095, "delete",
     "Completed access and erasure requests with their receipts: kept three years after completion."),
    ("intake_responses", "matching", 730, "delete",
     "Intake forms and behavioural goals of participants whose engagements ended."),
    ("match_proposals", "matching", 1095, "anonymize",
     "Ranked proposals with their score explanations, once the match ended."),
    ("session_notes", "scheduling", 365, "delete",
     "Session notes kept for the participant and the coach, after the engagement ended."),
    ("session_transcripts", "analytics", 30, "delete",
     "Raw transcripts received from vendor platforms (only with the ai_summaries opt-in)."),
    ("session_telemetry", "analytics", 730, "anonymize",
     "Session-level telemetry; afterwards only anonymised aggregates remain."),
    ("audit_log", "gateway", 2190, "delete", "Access and administration audit trail."),
]


def upgrade() -> None:
    policies = op.create_table(
        "retention_policies",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("service", sa.String(32), nullable=False),
        sa.Column("period_days", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_retention_policies"),
        sa.UniqueConstraint("category", name="uq_retention_policies_category"),
        sa.CheckConstraint("period_days > 0", name="ck_retention_policies_period_positive"),
        sa.CheckConstraint("action IN ('delete', 'anonymize')", name="ck_retention_policies_action"),
    )
    op.create_table(
        "retention_runs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("started_by", sa.String(200), nullable=False),
        sa.Column("results", postgresql.JSONB(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_retention_runs"),
    )
    op.create_index("ix_retention_runs_created_at", "retention_runs", ["created_at"])
    op.bulk_insert(
        policies,
        [
            {"id": uuid.uuid5(uuid.NAMESPACE_URL, f"tandem:retention:{category}"), "category": category,
             "service": service, "period_days": days, "action": action, "description": description}
            for category, service, days, action, description in POLICIES
        ],
    )


def downgrade() -> None:
    op.drop_table("retention_runs")
    op.drop_table("retention_policies")
