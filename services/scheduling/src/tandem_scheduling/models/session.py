from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import Boolean, DateTime, ForeignKey, String, Text, func
from sqlalchemy.dialects.postgresql import TSTZRANGE, Range
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tandem_scheduling.models import Base
from tandem_scheduling.models.engagement import Engagement


class Session(Base):
    """A booked meeting of an engagement (kickoff or regular); cancelled sessions are kept."""

    __tablename__ = "sessions"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    engagement_id: Mapped[UUID] = mapped_column(ForeignKey("engagements.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="booked")
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    booked_by: Mapped[str] = mapped_column(String(200))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    engagement: Mapped[Engagement] = relationship(back_populates="sessions", lazy="raise")
    attendees: Mapped[list["SessionAttendee"]] = relationship(back_populates="session", lazy="raise")


class SessionAttendee(Base):
    """One person's hold on a time range; the exclusion constraint forbids a person's overlapping holds.

    A hold belongs to a session, or to a group session (a seat's, `seat_id`, or the host's)."""

    __tablename__ = "session_attendees"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    session_id: Mapped[UUID | None] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    group_session_id: Mapped[UUID | None] = mapped_column(ForeignKey("group_sessions.id", ondelete="CASCADE"))
    seat_id: Mapped[UUID | None] = mapped_column(ForeignKey("group_seats.id", ondelete="CASCADE"))
    person_id: Mapped[UUID]
    during: Mapped[Range[datetime]] = mapped_column(TSTZRANGE)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)

    session: Mapped[Session | None] = relationship(back_populates="attendees", lazy="raise")


class SessionConflict(Base):
    """A busy interval of a party's calendar that overlaps a booked session, recorded (and announced
    with `SessionConflictDetected`) once per session, person and interval."""

    __tablename__ = "session_conflicts"

    session_id: Mapped[UUID] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[UUID] = mapped_column(primary_key=True, index=True)
    busy_start: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    busy_end: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    detected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CalendarLink(Base):
    """Whether a person has a calendar connected at the gateway, as its `CalendarConnected` and
    `CalendarConnectionBroken` events last said (`changed_at`: that event's time, later ones win)."""

    __tablename__ = "calendar_links"

    person_id: Mapped[UUID] = mapped_column(primary_key=True)
    connected: Mapped[bool] = mapped_column(Boolean)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
