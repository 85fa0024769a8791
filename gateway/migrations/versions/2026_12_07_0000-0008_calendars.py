"""Calendars: connections per person, busy cache, watch channels, event writes.

Revision ID: 0008_calendars
Revises: 0007_xapi
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from tandem_kit.events import dead_letters
from tandem_kit.privacy import erased_people

revision = "0008_calendars"
down_revision = "0007_xapi"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    # The calendar consumers park what they cannot apply and skip events about erased people; another
    # gateway integration's revision may have created those kit tables already.
    erased_people.create(op.get_bind(), checkfirst=True)
    dead_letters.create(op.get_bind(), checkfirst=True)
    op.create_table(
        "calendar_busy_cache",
        sa.Column("person_id", sa.Uuid(), primary_key=True),
        sa.Column("connection_id", sa.Uuid(), nullable=False),
        sa.Column("window_start", TZ, nullable=False),
        sa.Column("window_end", TZ, nullable=False),
        sa.Column("busy", JSONB(), nullable=False),
        sa.Column("fetched_at", TZ, nullable=False),
    )
    op.create_table(
        "calendar_session_events",
        sa.Column("session_id", sa.Uuid(), primary_key=True),
        sa.Column("person_id", sa.Uuid(), primary_key=True),
        sa.Column("engagement_id", sa.Uuid(), nullable=False),
        sa.Column("starts_at", TZ, nullable=False),
        sa.Column("ends_at", TZ, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("skip_reason", sa.String(32), nullable=True),
        sa.Column("provider", sa.String(16), nullable=True),
        sa.Column("connection_id", sa.Uuid(), nullable=True),
        sa.Column("external_id", sa.String(200), nullable=True),
        sa.Column("updated_at", TZ, server_default=sa.func.now(), nullable=False),
    )
    op.create_index(
        "ix_calendar_session_events_person_id", "calendar_session_events", ["person_id"]
    )
    op.create_index("ix_calendar_session_events_ends_at", "calendar_session_events", ["ends_at"])
    op.create_table(
        "calendar_watches",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("connection_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("external_id", sa.String(200), nullable=False),
        sa.Column("secret_sha256", sa.String(64), nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("created_at", TZ, server_default=sa.func.now(), nullable=False),
    )
    op.create_index("ix_calendar_watches_connection_id", "calendar_watches", ["connection_id"])
    op.create_index("ix_calendar_watches_person_id", "calendar_watches", ["person_id"])
    op.create_index("ix_calendar_watches_external_id", "calendar_watches", ["external_id"])
    op.create_index("ix_calendar_watches_expires_at", "calendar_watches", ["expires_at"])


def downgrade() -> None:
    op.drop_table("calendar_watches")
    op.drop_table("calendar_session_events")
    op.drop_table("calendar_busy_cache")
    # dead_letters and erased_people stay: an earlier revision may own them (created with checkfirst).
