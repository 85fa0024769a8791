"""Program status, provider sourcing and calibration records (issue 15).

Programs get a status (`active`, `paused`, `closed`) with the reason, time and actor of its last change;
providers their sourcing (`internal`/`external`) and whether their own role is sensitive (high political
risk); calibration records keep the panel, the date and the LMS evidence behind a coach's calibration.

Revision ID: 0006_program_controls
Revises: 0005_evidence
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0006_program_controls"
down_revision = "0005_evidence"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "programs", sa.Column("status", sa.String(16), nullable=False, server_default=sa.text("'active'"))
    )
    op.add_column("programs", sa.Column("status_reason", sa.String(2000), nullable=True))
    op.add_column("programs", sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("programs", sa.Column("status_changed_by", sa.String(200), nullable=True))
    op.create_check_constraint("ck_programs_status", "programs", "status IN ('active', 'paused', 'closed')")
    op.add_column(
        "providers",
        sa.Column("sourcing", sa.String(16), nullable=False, server_default=sa.text("'internal'")),
    )
    op.add_column(
        "providers", sa.Column("sensitive_role", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.create_check_constraint("ck_providers_sourcing", "providers", "sourcing IN ('internal', 'external')")
    op.add_column(
        "intakes",
        sa.Column("case_flags", JSONB(), nullable=False, server_default=sa.text("'[]'::jsonb")),
    )
    op.add_column(
        "proposals",
        sa.Column("external_only_cases", JSONB(), nullable=False, server_default=sa.text("'[]'::jsonb")),
    )
    op.create_table(
        "calibration_records",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("panel", JSONB(), nullable=False),
        sa.Column("evidence_ids", JSONB(), nullable=False),
        sa.Column("scores", JSONB(), nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_calibration_records"),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
            name="fk_calibration_records_provider_id_providers",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_calibration_records_provider_id", "calibration_records", ["provider_id"])


def downgrade() -> None:
    op.drop_index("ix_calibration_records_provider_id", table_name="calibration_records")
    op.drop_table("calibration_records")
    op.drop_column("intakes", "case_flags")
    op.drop_column("proposals", "external_only_cases")
    op.drop_constraint("ck_providers_sourcing", "providers", type_="check")
    op.drop_column("providers", "sensitive_role")
    op.drop_column("providers", "sourcing")
    op.drop_constraint("ck_programs_status", "programs", type_="check")
    for column in ("status_changed_by", "status_changed_at", "status_reason", "status"):
        op.drop_column("programs", column)
