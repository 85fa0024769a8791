"""Attendance ledger (issue 15): marks with revisions, vendor reports, conflicts, standings.

Revision ID: 0008_attendance
Revises: 0007_hr
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_attendance"
down_revision = "0007_hr"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKey:
    return sa.ForeignKey(f"{target}.id", ondelete="CASCADE", name=f"fk_{table}_{column}_{target}")


def upgrade() -> None:
    op.create_table(
        "attendance_marks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), _fk("attendance_marks", "session_id", "sessions"), nullable=False),
        sa.Column(
            "engagement_id", sa.Uuid(), _fk("attendance_marks", "engagement_id", "engagements"), nullable=False
        ),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("recorded_by_role", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_attendance_marks"),
        sa.UniqueConstraint("session_id", "revision", name="uq_attendance_marks_session_id_revision"),
    )
    op.create_index("ix_attendance_marks_engagement_id", "attendance_marks", ["engagement_id"])
    op.create_table(
        "attendance_vendor_reports",
        sa.Column(
            "session_id", sa.Uuid(), _fk("attendance_vendor_reports", "session_id", "sessions"), nullable=False
        ),
        sa.Column("telemetry_id", sa.Uuid(), nullable=False),
        sa.Column("vendor_id", sa.Uuid(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("session_id", name="pk_attendance_vendor_reports"),
    )
    op.create_table(
        "attendance_conflicts",
        sa.Column(
            "session_id", sa.Uuid(), _fk("attendance_conflicts", "session_id", "sessions"), nullable=False
        ),
        sa.Column(
            "engagement_id",
            sa.Uuid(),
            _fk("attendance_conflicts", "engagement_id", "engagements"),
            nullable=False,
        ),
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("vendor_outcome", sa.String(16), nullable=False),
        sa.Column("ledger_outcome", sa.String(32), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(200), nullable=True),
        sa.Column("resolution", sa.String(16), nullable=True),
        sa.PrimaryKeyConstraint("session_id", name="pk_attendance_conflicts"),
    )
    op.create_index("ix_attendance_conflicts_program_id", "attendance_conflicts", ["program_id"])
    op.create_table(
        "attendance_standings",
        sa.Column(
            "engagement_id",
            sa.Uuid(),
            _fk("attendance_standings", "engagement_id", "engagements"),
            nullable=False,
        ),
        sa.Column("attended", sa.Integer(), nullable=False),
        sa.Column("due", sa.Integer(), nullable=False),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("engagement_id", name="pk_attendance_standings"),
    )


def downgrade() -> None:
    op.drop_table("attendance_standings")
    op.drop_index("ix_attendance_conflicts_program_id", table_name="attendance_conflicts")
    op.drop_table("attendance_conflicts")
    op.drop_table("attendance_vendor_reports")
    op.drop_index("ix_attendance_marks_engagement_id", table_name="attendance_marks")
    op.drop_table("attendance_marks")
