from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from tandem_scheduling.models import Base


class GroupSession(Base):
    """An office hour (hosted by a coach or mentor) or a peer cohort meeting of a program, with seats."""

    __tablename__ = "group_sessions"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    program_id: Mapped[UUID]
    kind: Mapped[str] = mapped_column(String(16))  # office_hours | peer_cohort
    title: Mapped[str] = mapped_column(String(200))
    host_person_id: Mapped[UUID | None]
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    timezone: Mapped[str] = mapped_column(String(64))
    seat_limit: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="scheduled")  # scheduled | cancelled
    created_by: Mapped[str] = mapped_column(String(200))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class GroupSeat(Base):
    """One person's seat; released seats are kept. Its hold on the person's time is a `SessionAttendee`
    row pointing at it, under the same no-overlap constraint as one-to-one sessions."""

    __tablename__ = "group_seats"
    __table_args__ = (
        ForeignKeyConstraint(
            ["group_session_id", "seat_limit"],
            ["group_sessions.id", "group_sessions.seat_limit"],
            name="fk_group_seats_group_session_id_seat_limit_group_sessions",
            ondelete="CASCADE",
            onupdate="CASCADE",
        ),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    group_session_id: Mapped[UUID]
    seat_limit: Mapped[int] = mapped_column(Integer)
    seat_no: Mapped[int] = mapped_column(Integer)
    person_id: Mapped[UUID] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(16), default="booked")  # booked | released
    from_waitlist: Mapped[bool] = mapped_column(Boolean, default=False)
    booked_by: Mapped[str] = mapped_column(String(200))
    booked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    release_reason: Mapped[str | None] = mapped_column(String(32))


class GroupWaitlistEntry(Base):
    """A person waiting for a seat; `position` only grows, so the order is the order of arrival."""

    __tablename__ = "group_waitlist_entries"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    group_session_id: Mapped[UUID] = mapped_column(ForeignKey("group_sessions.id", ondelete="CASCADE"))
    person_id: Mapped[UUID] = mapped_column(index=True)
    position: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), default="waiting")  # waiting | promoted | left | removed
    requested_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
