"""SLA policies per layer, cadence checkpoints and escalations (issue 15).

Revision ID: 0009_sla_escalations
Revises: 0008_attendance
Create Date: 2026-12-07

Existing `kickoff` clocks become `kickoff_held` (the kickoff must now be recorded attended, not merely
booked). A clock already met under the old rule stays met (its kickoff was booked in time, and no
attendance was recorded before this revision to judge it again); an open one keeps its deadline and
is met only by an attended kickoff. Existing engagements get no checkpoints retroactively.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_sla_escalations"
down_revision = "0008_attendance"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sla_policies",
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("layer", sa.String(16), nullable=False),
        sa.Column("kickoff_days", sa.Integer(), nullable=False),
        sa.Column("next_session_days", sa.Integer(), nullable=False),
        sa.Column("checkpoint_grace_days", sa.Integer(), nullable=False),
        sa.Column("review_every_weeks", sa.Integer(), nullable=True),
        sa.Column("attendance_floor", sa.Float(), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("program_id", "layer", name="pk_sla_policies"),
    )
    op.create_table(
        "checkpoints",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("engagement_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("announced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("session_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["engagement_id"], ["engagements.id"], name="fk_checkpoints_engagement_id_engagements",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"], ["sessions.id"], name="fk_checkpoints_session_id_sessions", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_checkpoints"),
        sa.UniqueConstraint("engagement_id", "seq", name="uq_checkpoints_engagement_id_seq"),
    )
    # The scan announces checkpoints entering their window: only unannounced ones.
    op.create_index(
        "ix_checkpoints_unannounced_due_at", "checkpoints", ["due_at"],
        postgresql_where=sa.text("announced_at IS NULL AND held_at IS NULL"),
    )

    op.add_column("sla_clocks", sa.Column("seq", sa.Integer(), server_default="0", nullable=False))
    op.add_column("sla_clocks", sa.Column("checkpoint_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        "fk_sla_clocks_checkpoint_id_checkpoints", "sla_clocks", "checkpoints", ["checkpoint_id"], ["id"],
        ondelete="CASCADE",
    )
    op.drop_constraint("uq_sla_clocks_engagement_id_kind", "sla_clocks", type_="unique")
    op.create_unique_constraint(
        "uq_sla_clocks_engagement_id_kind_seq", "sla_clocks", ["engagement_id", "kind", "seq"]
    )
    op.execute("UPDATE sla_clocks SET kind = 'kickoff_held' WHERE kind = 'kickoff'")

    op.create_table(
        "escalations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("clock_id", sa.Uuid(), nullable=False),
        sa.Column("engagement_id", sa.Uuid(), nullable=False),
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("layer", sa.String(16), nullable=False),
        sa.Column("sla", sa.String(32), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rebreach", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("assignee_id", sa.Uuid(), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(200), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(200), nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["clock_id"], ["sla_clocks.id"], name="fk_escalations_clock_id_sla_clocks", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["engagement_id"], ["engagements.id"], name="fk_escalations_engagement_id_engagements",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_escalations"),
        sa.UniqueConstraint("clock_id", name="uq_escalations_clock_id"),
    )
    op.create_index("ix_escalations_engagement_id", "escalations", ["engagement_id"])
    # The queue: newest-first within a program and status.
    op.create_index("ix_escalations_program_status_opened", "escalations", ["program_id", "status", "opened_at"])


def downgrade() -> None:
    op.drop_table("escalations")
    op.execute("DELETE FROM sla_clocks WHERE kind <> 'kickoff_held'")
    op.execute("UPDATE sla_clocks SET kind = 'kickoff' WHERE kind = 'kickoff_held'")
    op.drop_constraint("uq_sla_clocks_engagement_id_kind_seq", "sla_clocks", type_="unique")
    op.create_unique_constraint("uq_sla_clocks_engagement_id_kind", "sla_clocks", ["engagement_id", "kind"])
    op.drop_constraint("fk_sla_clocks_checkpoint_id_checkpoints", "sla_clocks", type_="foreignkey")
    op.drop_column("sla_clocks", "checkpoint_id")
    op.drop_column("sla_clocks", "seq")
    op.drop_index("ix_checkpoints_unannounced_due_at", table_name="checkpoints")
    op.drop_table("checkpoints")
    op.drop_table("sla_policies")
