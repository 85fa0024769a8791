"""Training evidence and eligibility gates, overrides.

The mentor flags typed in before (`bias_awareness_trained`, `curriculum_weeks_completed`) become a
program manager's override of the gates they stood for, visible on the eligibility answer. Coaches
that were registered before (eligible on their calibration panel alone) get an override of the four
evidence gates, so the pool does not empty on deploy; a manager clears it once evidence arrives.
Every provider is evaluated again by the first eligibility scan (no event for that first evaluation).

Revision ID: 0005_evidence
Revises: 0004_directory_facts
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0005_evidence"
down_revision = "0004_directory_facts"
branch_labels = None
depends_on = None

NOW_ISO = """to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"')"""


def _ts(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(
        name,
        sa.DateTime(timezone=True),
        nullable=nullable,
        server_default=None if nullable else sa.func.now(),
    )


def upgrade() -> None:
    op.create_table(
        "training_evidence",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("item", sa.String(64), nullable=False),
        sa.Column("statement_id", sa.String(255), nullable=False),
        sa.Column("verb", sa.String(32), nullable=True),
        sa.Column("counts", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("score_scaled", sa.Float(), nullable=True),
        _ts("achieved_at", nullable=True),
        _ts("retracted_at", nullable=True),
        sa.Column("voided_by", sa.String(255), nullable=True),
        _ts("created_at"),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_training_evidence"),
    )
    op.create_index("ix_training_evidence_program_person", "training_evidence", ["program_id", "person_id"])
    op.add_column("providers", sa.Column("eligible", sa.Boolean(), nullable=False, server_default=sa.false()))
    for name in ("ineligible_reasons", "gates"):
        op.add_column(
            "providers", sa.Column(name, JSONB(), nullable=False, server_default=sa.text("'[]'::jsonb"))
        )
    op.add_column(
        "providers",
        sa.Column("eligibility_overridden", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("providers", _ts("eligibility_evaluated_at", nullable=True))
    op.add_column("providers", sa.Column("eligibility_override", JSONB(), nullable=True))
    weeks = ", ".join(
        f"CASE WHEN curriculum_weeks_completed >= {n} THEN 'mentor_curriculum_week_{n}' END" for n in range(1, 5)
    )
    op.execute(
        f"""
        UPDATE providers SET eligibility_override = jsonb_build_object(
            'gates', to_jsonb(array_remove(ARRAY[
                CASE WHEN bias_awareness_trained THEN 'bias_awareness_training' END, {weeks}
            ], NULL)),
            'by', 'migration:0005_evidence',
            'at', {NOW_ISO},
            'reason', 'typed-in training flags before training evidence reached Tandem')
        WHERE kind = 'mentor' AND (bias_awareness_trained OR curriculum_weeks_completed > 0)
        """
    )
    op.execute(
        f"""
        UPDATE providers SET eligibility_override = jsonb_build_object(
            'gates', '["coach_demo_review", "coach_co_coaching_session", "calibration_review",
                       "recertification"]'::jsonb,
            'by', 'migration:0005_evidence',
            'at', {NOW_ISO},
            'reason', 'certified before training evidence reached Tandem')
        WHERE kind = 'coach' AND jsonb_array_length(calibration) > 0
        """
    )
    op.drop_column("providers", "bias_awareness_trained")
    op.drop_column("providers", "curriculum_weeks_completed")


def downgrade() -> None:
    op.add_column(
        "providers",
        sa.Column("bias_awareness_trained", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column(
        "providers",
        sa.Column("curriculum_weeks_completed", sa.Integer(), nullable=False, server_default="0"),
    )
    # Back to flags: a gate met by evidence, or named by the override, counts, as the flags did.
    op.execute(
        """
        WITH counted AS (
            SELECT p.id, n.name FROM providers p,
            LATERAL (
                SELECT g->>'name' AS name FROM jsonb_array_elements(p.gates) g
                WHERE g->>'status' IN ('met', 'overridden')
                UNION
                SELECT jsonb_array_elements_text(COALESCE(p.eligibility_override->'gates', '[]'::jsonb))
            ) n
            WHERE p.kind = 'mentor'
        )
        UPDATE providers p SET
            bias_awareness_trained = EXISTS (
                SELECT 1 FROM counted c WHERE c.id = p.id AND c.name = 'bias_awareness_training'),
            curriculum_weeks_completed = (
                SELECT count(*) FROM counted c WHERE c.id = p.id AND c.name LIKE 'mentor_curriculum_week_%')
        WHERE p.kind = 'mentor'
        """
    )
    for name in (
        "eligibility_override",
        "eligibility_evaluated_at",
        "eligibility_overridden",
        "gates",
        "ineligible_reasons",
        "eligible",
    ):
        op.drop_column("providers", name)
    op.drop_index("ix_training_evidence_program_person", table_name="training_evidence")
    op.drop_table("training_evidence")
