"""Calendar sync state: busy-time cache, the session events written to calendars, notification channels.

Only times and ids: never an event's title, attendees or body."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import DateTime, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tandem_gateway.models import Base


class BusyCache(Base):
    """A person's busy intervals over the window last read from their calendar (a short-lived cache)."""

    __tablename__ = "calendar_busy_cache"

    person_id: Mapped[UUID] = mapped_column(primary_key=True)
    connection_id: Mapped[UUID]
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    window_end: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    busy: Mapped[list[list[str]]] = mapped_column(JSONB)  # [[start, end], ...] ISO 8601 UTC, merged
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SessionEvent(Base):
    """One booked session in one person's calendar: written, skipped (no connection) or cancelled."""

    __tablename__ = "calendar_session_events"

    session_id: Mapped[UUID] = mapped_column(primary_key=True)
    person_id: Mapped[UUID] = mapped_column(primary_key=True, index=True)
    engagement_id: Mapped[UUID]
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    state: Mapped[str] = mapped_column(String(16))  # booked | written | skipped | cancelled
    skip_reason: Mapped[str | None] = mapped_column(String(32))
    provider: Mapped[str | None] = mapped_column(String(16))
    connection_id: Mapped[UUID | None]
    external_id: Mapped[str | None] = mapped_column(String(200))  # Google event id / Graph event id
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class CalendarWatch(Base):
    """A change-notification channel: a Google watch channel (id = channel id) or a Graph subscription.

    The channel token / clientState is kept only as its SHA-256: enough to check a notification."""

    __tablename__ = "calendar_watches"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    connection_id: Mapped[UUID] = mapped_column(index=True)
    person_id: Mapped[UUID] = mapped_column(index=True)
    provider: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(200), index=True)
    secret_sha256: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
