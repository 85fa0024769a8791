from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from tandem_scheduling.models import Base


class AttendanceMark(Base):
    """One revision of a session's outcome in the attendance ledger: the first mark is revision 1, each
    correction adds the next. Rows are never updated (the audit trail), except retention clearing
    `reason`, the only free text."""

    __tablename__ = "attendance_marks"
    __table_args__ = (
        UniqueConstraint("session_id", "revision", name="uq_attendance_marks_session_id_revision"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    session_id: Mapped[UUID] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    engagement_id: Mapped[UUID] = mapped_column(ForeignKey("engagements.id", ondelete="CASCADE"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(32))
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_by_role: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AttendanceVendorReport(Base):
    """The latest outcome a vendor platform reported for a session (analytics' `VendorSessionReported`)."""

    __tablename__ = "attendance_vendor_reports"

    session_id: Mapped[UUID] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True)
    telemetry_id: Mapped[UUID]
    vendor_id: Mapped[UUID]
    outcome: Mapped[str] = mapped_column(String(16))
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AttendanceConflict(Base):
    """A vendor report that disagrees with a party's mark: kept visible (open) until a program manager
    corrects or confirms the mark, or a correction makes the two agree."""

    __tablename__ = "attendance_conflicts"

    session_id: Mapped[UUID] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True)
    engagement_id: Mapped[UUID] = mapped_column(ForeignKey("engagements.id", ondelete="CASCADE"))
    program_id: Mapped[UUID] = mapped_column(index=True)
    vendor_outcome: Mapped[str] = mapped_column(String(16))
    ledger_outcome: Mapped[str | None] = mapped_column(String(32))
    reported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by: Mapped[str | None] = mapped_column(String(200))
    resolution: Mapped[str | None] = mapped_column(String(16))  # corrected | confirmed | agreed


class AttendanceStanding(Base):
    """An engagement's attendance as last computed, and whether it is flagged under the floor (so that
    `EngagementAttendanceFlagged` goes out only when that changes)."""

    __tablename__ = "attendance_standings"

    engagement_id: Mapped[UUID] = mapped_column(
        ForeignKey("engagements.id", ondelete="CASCADE"), primary_key=True
    )
    attended: Mapped[int] = mapped_column(Integer)
    due: Mapped[int] = mapped_column(Integer)
    flagged: Mapped[bool]
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
