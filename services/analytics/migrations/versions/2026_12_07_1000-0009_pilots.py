"""Pilot charters, gate evaluations, decisions, comparison (issue 16).

Revision ID: 0009_pilots
Revises: 0008_inputs
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009_pilots"
down_revision = "0008_inputs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pilots",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("program_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("sponsor_id", sa.Uuid(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("linked_kpis", postgresql.JSONB(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.create_table(
        "pilot_members",
        sa.Column("pilot_id", sa.Uuid(), sa.ForeignKey("pilots.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("person_id", sa.Uuid(), primary_key=True, index=True),
    )
    op.create_table(
        "pilot_measures",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("pilot_id", sa.Uuid(), sa.ForeignKey("pilots.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("indicator", sa.String(100), nullable=False),
        sa.Column("phase", sa.String(20), nullable=False),
        sa.Column("mean", sa.Float(), nullable=False),
        sa.Column("respondents", sa.Integer(), nullable=False),
        sa.Column("measured_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.create_table(
        "gate_evaluations",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("pilot_id", sa.Uuid(), sa.ForeignKey("pilots.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("gate", sa.String(20), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("verdict", sa.String(10), nullable=False),
        sa.Column("evidence", postgresql.JSONB(), nullable=False),
        sa.Column("criteria", postgresql.JSONB(), nullable=False),
        sa.Column("evaluated_by", sa.String(200), nullable=False),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "pilot_mitigations",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("pilot_id", sa.Uuid(), sa.ForeignKey("pilots.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("gate", sa.String(20)),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.create_table(
        "pilot_decisions",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("pilot_id", sa.Uuid(), sa.ForeignKey("pilots.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("gate", sa.String(20), nullable=False),
        sa.Column("decision", sa.String(30), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("evaluation_id", sa.Uuid(), sa.ForeignKey("gate_evaluations.id", ondelete="SET NULL")),
        sa.Column("decided_by", sa.String(200), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "complexity_bands",
        sa.Column("program_id", sa.Uuid(), primary_key=True),
        sa.Column("person_id", sa.Uuid(), primary_key=True, index=True),
        sa.Column("band", sa.String(40), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "complexity_bands",
        "pilot_decisions",
        "pilot_mitigations",
        "gate_evaluations",
        "pilot_measures",
        "pilot_members",
        "pilots",
    ):
        op.drop_table(table)
