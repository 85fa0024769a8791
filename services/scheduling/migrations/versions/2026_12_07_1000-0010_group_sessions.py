"""Group sessions, seats and waitlists (issue 15).

Revision ID: 0010_group_sessions
Revises: 0009_sla_escalations
Create Date: 2026-12-07

A seat (and a host's office hour) is a hold on the person's time in `session_attendees`, so the one
exclusion constraint that keeps a person's one-to-one sessions apart keeps their seats apart from them
too. A hold now belongs either to a session or to a group session (then to a seat, or to the host):
`session_id` becomes nullable, and the primary key a surrogate id.

No overbooking is the database's guarantee as well: a seat row carries its group session's limit
(a composite foreign key keeps it equal to the group session's), its number lies in 1..limit, and a
number is held by at most one booked seat. The service locks the group session's row to number seats
and order the waitlist without retry loops; the constraints hold even for a writer that does not.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_group_sessions"
down_revision = "0009_sla_escalations"
branch_labels = None
depends_on = None


def _now() -> sa.TextClause:
    return sa.text("now()")


def upgrade() -> None:
    op.create_table(
        "group_sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("host_person_id", sa.Uuid(), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("seat_limit", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_group_sessions"),
        sa.UniqueConstraint("id", "seat_limit", name="uq_group_sessions_id_seat_limit"),
        sa.CheckConstraint("ends_at > starts_at", name="ck_group_sessions_ends_after_start"),
        sa.CheckConstraint("seat_limit BETWEEN 1 AND 500", name="ck_group_sessions_seat_limit"),
        sa.CheckConstraint("kind IN ('office_hours', 'peer_cohort')", name="ck_group_sessions_kind"),
        sa.CheckConstraint("status IN ('scheduled', 'cancelled')", name="ck_group_sessions_status"),
        sa.CheckConstraint(
            "kind <> 'office_hours' OR host_person_id IS NOT NULL", name="ck_group_sessions_office_hours_host"
        ),
    )
    op.create_index("ix_group_sessions_program_id_starts_at", "group_sessions", ["program_id", "starts_at"])
    op.create_index("ix_group_sessions_starts_at", "group_sessions", ["starts_at"])

    op.create_table(
        "group_seats",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("group_session_id", sa.Uuid(), nullable=False),
        sa.Column("seat_limit", sa.Integer(), nullable=False),
        sa.Column("seat_no", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("from_waitlist", sa.Boolean(), nullable=False),
        sa.Column("booked_by", sa.String(200), nullable=False),
        sa.Column("booked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("release_reason", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_group_seats"),
        # The seat's limit is its group session's, so the CHECK below compares with the real limit.
        sa.ForeignKeyConstraint(
            ["group_session_id", "seat_limit"],
            ["group_sessions.id", "group_sessions.seat_limit"],
            name="fk_group_seats_group_session_id_seat_limit_group_sessions",
            ondelete="CASCADE",
            onupdate="CASCADE",
        ),
        sa.CheckConstraint("seat_no BETWEEN 1 AND seat_limit", name="ck_group_seats_seat_no_within_limit"),
        sa.CheckConstraint("status IN ('booked', 'released')", name="ck_group_seats_status"),
    )
    op.create_index(
        "uq_group_seats_booked_seat_no", "group_seats", ["group_session_id", "seat_no"], unique=True,
        postgresql_where=sa.text("status = 'booked'"),
    )
    op.create_index(
        "uq_group_seats_booked_person", "group_seats", ["group_session_id", "person_id"], unique=True,
        postgresql_where=sa.text("status = 'booked'"),
    )
    op.create_index("ix_group_seats_person_id", "group_seats", ["person_id"])

    op.create_table(
        "group_waitlist_entries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("group_session_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("requested_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["group_session_id"], ["group_sessions.id"],
            name="fk_group_waitlist_entries_group_session_id_group_sessions", ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_group_waitlist_entries"),
        sa.UniqueConstraint("group_session_id", "position", name="uq_group_waitlist_entries_position"),
        sa.CheckConstraint(
            "status IN ('waiting', 'promoted', 'left', 'removed')", name="ck_group_waitlist_entries_status"
        ),
    )
    op.create_index(
        "uq_group_waitlist_entries_waiting_person", "group_waitlist_entries",
        ["group_session_id", "person_id"], unique=True, postgresql_where=sa.text("status = 'waiting'"),
    )
    op.create_index("ix_group_waitlist_entries_person_id", "group_waitlist_entries", ["person_id"])

    # Holds: a session's (as before) or a group session's (a seat's, or the host's).
    op.add_column(
        "session_attendees",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
    )
    op.drop_constraint("pk_session_attendees", "session_attendees", type_="primary")
    op.create_primary_key("pk_session_attendees", "session_attendees", ["id"])
    op.create_unique_constraint(
        "uq_session_attendees_session_id_person_id", "session_attendees", ["session_id", "person_id"]
    )
    op.alter_column("session_attendees", "session_id", existing_type=sa.Uuid(), nullable=True)
    op.add_column("session_attendees", sa.Column("group_session_id", sa.Uuid(), nullable=True))
    op.add_column("session_attendees", sa.Column("seat_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        "fk_session_attendees_group_session_id_group_sessions", "session_attendees", "group_sessions",
        ["group_session_id"], ["id"], ondelete="CASCADE",
    )
    op.create_foreign_key(
        "fk_session_attendees_seat_id_group_seats", "session_attendees", "group_seats",
        ["seat_id"], ["id"], ondelete="CASCADE",
    )
    op.create_unique_constraint("uq_session_attendees_seat_id", "session_attendees", ["seat_id"])
    op.create_check_constraint(
        "ck_session_attendees_one_owner",
        "session_attendees",
        "(session_id IS NOT NULL AND group_session_id IS NULL AND seat_id IS NULL)"
        " OR (session_id IS NULL AND group_session_id IS NOT NULL)",
    )
    op.create_index("ix_session_attendees_group_session_id", "session_attendees", ["group_session_id"])


def downgrade() -> None:
    op.execute("DELETE FROM session_attendees WHERE session_id IS NULL")
    op.drop_index("ix_session_attendees_group_session_id", table_name="session_attendees")
    op.drop_constraint("ck_session_attendees_one_owner", "session_attendees", type_="check")
    op.drop_constraint("uq_session_attendees_seat_id", "session_attendees", type_="unique")
    op.drop_constraint("fk_session_attendees_seat_id_group_seats", "session_attendees", type_="foreignkey")
    op.drop_constraint(
        "fk_session_attendees_group_session_id_group_sessions", "session_attendees", type_="foreignkey"
    )
    op.drop_column("session_attendees", "seat_id")
    op.drop_column("session_attendees", "group_session_id")
    op.alter_column("session_attendees", "session_id", existing_type=sa.Uuid(), nullable=False)
    op.drop_constraint("uq_session_attendees_session_id_person_id", "session_attendees", type_="unique")
    op.drop_constraint("pk_session_attendees", "session_attendees", type_="primary")
    op.create_primary_key("pk_session_attendees", "session_attendees", ["session_id", "person_id"])
    op.drop_column("session_attendees", "id")
    op.drop_table("group_waitlist_entries")
    op.drop_table("group_seats")
    op.drop_table("group_sessions")
