"""Programs, weight sets, cohorts, providers, intakes, proposals, matches and the decision audit.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _ts(name: str, *, nullable: bool = False, default: str | None = "now()") -> sa.Column:
    return sa.Column(
        name,
        sa.DateTime(timezone=True),
        nullable=nullable,
        server_default=sa.text(default) if default else None,
    )


def upgrade() -> None:
    op.create_table(
        "programs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("tracks", JSONB(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("coach_caseload_limit", sa.Integer(), nullable=False),
        sa.Column("mentor_high_touch_limit", sa.Integer(), nullable=False),
        sa.Column("active_leaders", sa.Integer(), nullable=True),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_programs"),
        sa.CheckConstraint("coach_caseload_limit BETWEEN 15 AND 25", name="ck_programs_coach_caseload_limit"),
        sa.CheckConstraint("mentor_high_touch_limit BETWEEN 1 AND 3", name="ck_programs_mentor_high_touch_limit"),
        sa.CheckConstraint("ends_on > starts_on", name="ck_programs_dates"),
    )
    op.create_table(
        "weight_sets",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("weights", JSONB(), nullable=False),
        sa.Column("reason", sa.String(2000), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_weight_sets"),
        sa.ForeignKeyConstraint(["program_id"], ["programs.id"], name="fk_weight_sets_program_id_programs"),
        sa.UniqueConstraint("program_id", "version", name="uq_weight_sets_program_version"),
    )
    op.create_index("ix_weight_sets_program_id", "weight_sets", ["program_id"])
    op.create_table(
        "cohorts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("details", JSONB(), nullable=False, server_default=sa.text("'{}'::jsonb")),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_cohorts"),
        sa.ForeignKeyConstraint(["program_id"], ["programs.id"], name="fk_cohorts_program_id_programs"),
    )
    op.create_index("ix_cohorts_program_id", "cohorts", ["program_id"])
    op.create_table(
        "providers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("working_hours", JSONB(), nullable=False),
        sa.Column("languages", JSONB(), nullable=False),
        sa.Column("skills", JSONB(), nullable=False),
        sa.Column("behavioural_focus", JSONB(), nullable=False),
        sa.Column("sponsorship_actions", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("promotions_sponsored", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("ratings", JSONB(), nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column("sessions_completed", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("sessions_scheduled", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("manager_chain", JSONB(), nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column("calibration", JSONB(), nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column("bias_awareness_trained", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("curriculum_weeks_completed", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("commitment_signed", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("active_load", sa.Integer(), nullable=False, server_default="0"),
        _ts("created_at"),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_providers"),
        sa.ForeignKeyConstraint(["program_id"], ["programs.id"], name="fk_providers_program_id_programs"),
        sa.UniqueConstraint("program_id", "person_id", "kind", name="uq_providers_program_person_kind"),
        sa.CheckConstraint(
            "active_load >= 0 AND active_load <= capacity", name="ck_providers_load_within_capacity"
        ),
        sa.CheckConstraint("kind IN ('coach', 'mentor')", name="ck_providers_kind"),
    )
    op.create_index("ix_providers_program_id", "providers", ["program_id"])
    op.create_index("ix_providers_person_id", "providers", ["person_id"])
    op.create_table(
        "intakes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("cohort_id", sa.Uuid(), nullable=True),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("triggers", JSONB(), nullable=False),
        sa.Column("track", sa.String(32), nullable=False),
        sa.Column("track_reason", sa.String(2000), nullable=False),
        sa.Column("track_overridden", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("promotion_related", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("working_hours", JSONB(), nullable=False),
        sa.Column("languages", JSONB(), nullable=False),
        sa.Column("wanted_skills", JSONB(), nullable=False),
        sa.Column("behavioural_goals", JSONB(), nullable=False),
        sa.Column("manager_chain", JSONB(), nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column("political_risk_flags", JSONB(), nullable=False, server_default=sa.text("'[]'::jsonb")),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_intakes"),
        sa.ForeignKeyConstraint(["program_id"], ["programs.id"], name="fk_intakes_program_id_programs"),
        sa.ForeignKeyConstraint(["cohort_id"], ["cohorts.id"], name="fk_intakes_cohort_id_cohorts"),
        sa.UniqueConstraint("program_id", "person_id", name="uq_intakes_program_person"),
    )
    op.create_index("ix_intakes_program_id", "intakes", ["program_id"])
    op.create_index("ix_intakes_cohort_id", "intakes", ["cohort_id"])
    op.create_index("ix_intakes_person_id", "intakes", ["person_id"])
    op.create_table(
        "proposals",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("intake_id", sa.Uuid(), nullable=False),
        sa.Column("cohort_id", sa.Uuid(), nullable=True),
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column("provider_kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("source", sa.String(32), nullable=False, server_default="request"),
        sa.Column("weight_set_version", sa.Integer(), nullable=False),
        sa.Column("weights_used", JSONB(), nullable=False),
        sa.Column("consented_fields", JSONB(), nullable=False),
        sa.Column("consent_notice_version", sa.Integer(), nullable=True),
        sa.Column("excluded_signals", JSONB(), nullable=False),
        sa.Column("redistributed_weight", sa.Float(), nullable=False),
        sa.Column("promotion_rule_applied", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        _ts("created_at"),
        _ts("decided_at", nullable=True, default=None),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("decision_reason", sa.String(2000), nullable=True),
        sa.Column("match_id", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_proposals"),
        sa.ForeignKeyConstraint(["program_id"], ["programs.id"], name="fk_proposals_program_id_programs"),
        sa.ForeignKeyConstraint(["intake_id"], ["intakes.id"], name="fk_proposals_intake_id_intakes"),
        sa.ForeignKeyConstraint(["cohort_id"], ["cohorts.id"], name="fk_proposals_cohort_id_cohorts"),
    )
    op.create_index("ix_proposals_program_id", "proposals", ["program_id"])
    op.create_index("ix_proposals_intake_id", "proposals", ["intake_id"])
    op.create_index("ix_proposals_participant_id", "proposals", ["participant_id"])
    op.create_index("ix_proposals_status", "proposals", ["status"])
    op.create_table(
        "proposal_candidates",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("proposal_id", sa.Uuid(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("signals", JSONB(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_proposal_candidates"),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposals.id"], name="fk_proposal_candidates_proposal_id_proposals"
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["providers.id"], name="fk_proposal_candidates_provider_id_providers"
        ),
        sa.UniqueConstraint("proposal_id", "rank", name="uq_proposal_candidates_rank"),
    )
    op.create_index("ix_proposal_candidates_proposal_id", "proposal_candidates", ["proposal_id"])
    op.create_table(
        "matches",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("proposal_id", sa.Uuid(), nullable=True),
        sa.Column("intake_id", sa.Uuid(), nullable=False),
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("provider_person_id", sa.Uuid(), nullable=False),
        sa.Column("provider_kind", sa.String(16), nullable=False),
        sa.Column("track", sa.String(32), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="active"),
        _ts("approved_at"),
        sa.Column("approved_by", sa.String(200), nullable=False),
        _ts("ended_at", nullable=True, default=None),
        sa.Column("end_reason", sa.String(2000), nullable=True),
        sa.Column("previous_match_id", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_matches"),
        sa.ForeignKeyConstraint(["program_id"], ["programs.id"], name="fk_matches_program_id_programs"),
        sa.ForeignKeyConstraint(["proposal_id"], ["proposals.id"], name="fk_matches_proposal_id_proposals"),
        sa.ForeignKeyConstraint(["intake_id"], ["intakes.id"], name="fk_matches_intake_id_intakes"),
        sa.ForeignKeyConstraint(["provider_id"], ["providers.id"], name="fk_matches_provider_id_providers"),
        sa.ForeignKeyConstraint(
            ["previous_match_id"], ["matches.id"], name="fk_matches_previous_match_id_matches"
        ),
    )
    op.create_index("ix_matches_program_id", "matches", ["program_id"])
    op.create_index("ix_matches_participant_id", "matches", ["participant_id"])
    op.create_index("ix_matches_provider_id", "matches", ["provider_id"])
    op.create_index("ix_matches_provider_person_id", "matches", ["provider_person_id"])
    op.create_index(
        "uq_matches_active_intake_kind",
        "matches",
        ["intake_id", "provider_kind"],
        unique=True,
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_table(
        "decisions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("proposal_id", sa.Uuid(), nullable=True),
        sa.Column("match_id", sa.Uuid(), nullable=True),
        sa.Column("intake_id", sa.Uuid(), nullable=True),
        sa.Column("provider_id", sa.Uuid(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("reason", sa.String(2000), nullable=True),
        sa.Column("details", JSONB(), nullable=False, server_default=sa.text("'{}'::jsonb")),
        # clock_timestamp, not now(): several decisions in one transaction still list in order.
        _ts("created_at", default="clock_timestamp()"),
        sa.PrimaryKeyConstraint("id", name="pk_decisions"),
        sa.ForeignKeyConstraint(["program_id"], ["programs.id"], name="fk_decisions_program_id_programs"),
        sa.ForeignKeyConstraint(["proposal_id"], ["proposals.id"], name="fk_decisions_proposal_id_proposals"),
        sa.ForeignKeyConstraint(["match_id"], ["matches.id"], name="fk_decisions_match_id_matches"),
        sa.ForeignKeyConstraint(["intake_id"], ["intakes.id"], name="fk_decisions_intake_id_intakes"),
        sa.ForeignKeyConstraint(["provider_id"], ["providers.id"], name="fk_decisions_provider_id_providers"),
    )
    op.create_index("ix_decisions_program_id", "decisions", ["program_id"])
    op.create_index("ix_decisions_created_at", "decisions", ["created_at"])


def downgrade() -> None:
    for table in (
        "decisions",
        "matches",
        "proposal_candidates",
        "proposals",
        "intakes",
        "providers",
        "cohorts",
        "weight_sets",
        "programs",
    ):
        op.drop_table(table)
