"""Sponsor action log and dual-track handoff (issue 15).

`handoffs`: one per completed coaching match of a `coach_then_mentor` participant (the checklist, and
goals and progress only under the participant's `handoff` consent). `sponsor_actions`: what mentors
log per mentee; the scorer's sponsorship signal counts them (18 months), the typed-in provider fields
stay as the fallback for providers without a log.

Revision ID: 0007_sponsor_handoff
Revises: 0006_program_controls
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0007_sponsor_handoff"
down_revision = "0006_program_controls"
branch_labels = None
depends_on = None


def _ts(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "handoffs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("program_id", sa.Uuid(), sa.ForeignKey("programs.id", name="fk_handoffs_program_id_programs"), nullable=False),
        sa.Column("intake_id", sa.Uuid(), sa.ForeignKey("intakes.id", name="fk_handoffs_intake_id_intakes"), nullable=False),
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column(
            "from_match_id", sa.Uuid(), sa.ForeignKey("matches.id", name="fk_handoffs_from_match_id_matches"), nullable=False
        ),
        sa.Column(
            "to_match_id",
            sa.Uuid(),
            sa.ForeignKey("matches.id", name="fk_handoffs_to_match_id_matches"),
            nullable=True,
        ),
        sa.Column("mentor_person_id", sa.Uuid(), nullable=True),
        sa.Column(
            "proposal_id",
            sa.Uuid(),
            sa.ForeignKey("proposals.id", name="fk_handoffs_proposal_id_proposals"),
            nullable=True,
        ),
        sa.Column("shared_context", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("context", JSONB(), nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("checklist", JSONB(), nullable=False, server_default=sa.text("'{}'::jsonb")),
        _ts("prepared_at"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_handoffs"),
        sa.UniqueConstraint("from_match_id", name="uq_handoffs_from_match_id"),
    )
    for column in ("program_id", "intake_id", "participant_id", "mentor_person_id"):
        op.create_index(f"ix_handoffs_{column}", "handoffs", [column])
    op.create_table(
        "sponsor_actions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "match_id", sa.Uuid(), sa.ForeignKey("matches.id", name="fk_sponsor_actions_match_id_matches"), nullable=False
        ),
        sa.Column(
            "program_id",
            sa.Uuid(),
            sa.ForeignKey("programs.id", name="fk_sponsor_actions_program_id_programs"), nullable=False,
        ),
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column("mentor_person_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("action_date", sa.Date(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("description", sa.String(2000), nullable=True),
        _ts("logged_at"),
        sa.Column("logged_by", sa.String(200), nullable=False),
        _ts("corrected_at", nullable=True),
        _ts("retracted_at", nullable=True),
        sa.Column("retracted_by", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_sponsor_actions"),
    )
    for column in ("match_id", "program_id", "participant_id"):
        op.create_index(f"ix_sponsor_actions_{column}", "sponsor_actions", [column])
    op.create_index("ix_sponsor_actions_mentor_date", "sponsor_actions", ["mentor_person_id", "action_date"])


def downgrade() -> None:
    op.drop_table("sponsor_actions")
    op.drop_table("handoffs")
