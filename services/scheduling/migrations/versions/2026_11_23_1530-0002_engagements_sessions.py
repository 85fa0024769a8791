"""Engagements, SLA clocks, sessions and attendee holds with a no-overlap exclusion constraint.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

The constraint needs GiST equality on the person id. btree_gist is the usual way, but it is a contrib
extension that not every PostgreSQL build ships (the embedded server used in development and tests
does not). A range type over uuid is core PostgreSQL, and GiST supports `=` on any range, so a
person's id as the one-point range `[id,id]` gives the same guarantee everywhere.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "engagements",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("match_id", sa.Uuid(), nullable=False),
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("provider_person_id", sa.Uuid(), nullable=False),
        sa.Column("provider_kind", sa.String(16), nullable=False),
        sa.Column("track", sa.String(40), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("cadence", sa.String(16), nullable=False),
        sa.Column("session_minutes", sa.Integer(), nullable=False),
        sa.Column("planned_months", sa.Integer(), nullable=False),
        sa.Column("review_every_weeks", sa.Integer(), nullable=False),
        sa.Column("participant_timezone", sa.String(64), nullable=False),
        sa.Column("participant_working_hours", postgresql.JSONB(), nullable=False),
        sa.Column("provider_timezone", sa.String(64), nullable=False),
        sa.Column("provider_working_hours", postgresql.JSONB(), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_engagements"),
        sa.UniqueConstraint("match_id", name="uq_engagements_match_id"),
    )
    op.create_index("ix_engagements_participant_id", "engagements", ["participant_id"])
    op.create_index("ix_engagements_provider_person_id", "engagements", ["provider_person_id"])

    op.create_table(
        "sla_clocks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("engagement_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("met_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("breached_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["engagement_id"], ["engagements.id"], name="fk_sla_clocks_engagement_id_engagements",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_sla_clocks"),
        sa.UniqueConstraint("engagement_id", "kind", name="uq_sla_clocks_engagement_id_kind"),
    )
    # The breach scan only ever looks at open clocks.
    op.create_index(
        "ix_sla_clocks_open_due_at", "sla_clocks", ["due_at"],
        postgresql_where=sa.text("met_at IS NULL AND breached_at IS NULL"),
    )

    op.create_table(
        "sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("engagement_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("booked_by", sa.String(200), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["engagement_id"], ["engagements.id"], name="fk_sessions_engagement_id_engagements",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_sessions"),
        sa.CheckConstraint("ends_at > starts_at", name="ck_sessions_ends_after_start"),
    )
    op.create_index("ix_sessions_engagement_id", "sessions", ["engagement_id"])
    # At most one live kickoff per engagement.
    op.create_index(
        "uq_sessions_one_kickoff", "sessions", ["engagement_id"], unique=True,
        postgresql_where=sa.text("kind = 'kickoff' AND status = 'booked'"),
    )

    op.execute("CREATE TYPE uuid_range AS RANGE (subtype = uuid)")
    op.create_table(
        "session_attendees",
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("during", postgresql.TSTZRANGE(), nullable=False),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"], ["sessions.id"], name="fk_session_attendees_session_id_sessions",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", "person_id", name="pk_session_attendees"),
    )
    op.execute(
        "ALTER TABLE session_attendees ADD CONSTRAINT ex_session_attendees_no_overlap "
        "EXCLUDE USING gist (uuid_range(person_id, person_id, '[]') WITH =, during WITH &&) "
        "WHERE (NOT cancelled)"
    )


def downgrade() -> None:
    op.drop_table("session_attendees")
    op.execute("DROP TYPE uuid_range")
    op.drop_index("uq_sessions_one_kickoff", table_name="sessions")
    op.drop_table("sessions")
    op.drop_table("sla_clocks")
    op.drop_table("engagements")
