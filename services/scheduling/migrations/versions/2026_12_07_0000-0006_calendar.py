"""Calendar verification of slots and bookings, conflicts: `session_conflicts`, one row per session,
person and busy interval of their calendar that overlaps the session (`SessionConflictDetected` once);
`calendar_links`, who has a calendar connected at the gateway (so the others are not asked about).

Revision ID: 0006_calendar
Revises: 0005_erasure
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_calendar"
down_revision = "0005_erasure"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "session_conflicts",
        sa.Column(
            "session_id",
            sa.Uuid(),
            sa.ForeignKey("sessions.id", ondelete="CASCADE", name="fk_session_conflicts_session_id_sessions"),
            nullable=False,
        ),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("busy_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("busy_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("session_id", "person_id", "busy_start", "busy_end", name="pk_session_conflicts"),
    )
    op.create_index("ix_session_conflicts_person_id", "session_conflicts", ["person_id"])
    op.create_table(
        "calendar_links",
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("connected", sa.Boolean(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("person_id", name="pk_calendar_links"),
    )


def downgrade() -> None:
    op.drop_table("calendar_links")
    op.drop_index("ix_session_conflicts_person_id", table_name="session_conflicts")
    op.drop_table("session_conflicts")
